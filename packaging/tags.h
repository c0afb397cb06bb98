/* tags.h - being written (issue 3). */
#ifndef BUNPY_TAGS_H
#define BUNPY_TAGS_H
#endif
