/* filename.h - being written (issue 3). */
#ifndef BUNPY_FILENAME_H
#define BUNPY_FILENAME_H
#endif
