dnl bunpy.m4 - configure checks of bunpy's own.

dnl BUNPY_REQUIRE_PKG(VARIABLE-PREFIX, MODULE, DEBIAN-PACKAGE)
dnl Like PKG_CHECK_MODULES, but a missing module stops configure with the Debian
dnl package to install, instead of pkg-config's generic advice.
AC_DEFUN([BUNPY_REQUIRE_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([$2 not found by pkg-config.
    On Debian or Ubuntu install it with:  apt-get install $3])])
])

dnl AX_PTHREAD_SIMPLE: POSIX threads as glibc provides them (-pthread).
AC_DEFUN([AX_PTHREAD_SIMPLE], [
  PTHREAD_CFLAGS=-pthread
  PTHREAD_LIBS=-pthread
  AC_SUBST([PTHREAD_CFLAGS])
  AC_SUBST([PTHREAD_LIBS])
])
