/* metadata.h - being written (issue 3). */
#ifndef BUNPY_METADATA_H
#define BUNPY_METADATA_H
#endif
