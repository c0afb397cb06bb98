/* syncctx.h - being written */
#ifndef BUNPY_SYNCCTX_H
#define BUNPY_SYNCCTX_H
#endif
