/* pyproject.h - being written (issue 3). */
#ifndef BUNPY_PYPROJECT_H
#define BUNPY_PYPROJECT_H
#endif
