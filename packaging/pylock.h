/* pylock.h - being written (issue 3). */
#ifndef BUNPY_PYLOCK_H
#define BUNPY_PYLOCK_H
#endif
