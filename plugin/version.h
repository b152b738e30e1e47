/** @file version.h @brief The software version recorded in every output file. */
#ifndef HP_VERSION_H
#define HP_VERSION_H
#define HP_VERSION "0.1.0"
#define HP_SOFTWARE "halopaint " HP_VERSION
#endif
