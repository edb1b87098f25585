/* How many freed objects a pool keeps for reuse. Under AddressSanitizer
 * none: a kept object hides a use after free from it (gcc and clang say
 * that they instrument differently). */
#ifndef HERD_COMMON_SPARES_H
#define HERD_COMMON_SPARES_H

#if defined(__SANITIZE_ADDRESS__)
#define HERD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HERD_ASAN 1
#endif
#endif

#ifdef HERD_ASAN
#define HERD_SPARES(n) 0
#else
#define HERD_SPARES(n) (n)
#endif

/* Under valgrind a kept object is unreadable until it is taken again,
 * so that a use after its end is still reported there: HIDE when it is
 * kept, SHOW before it is read again. Without valgrind's header (an
 * optional build dependency) they do nothing. */
#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#define HERD_SPARE_HIDE(p, n) ((void)VALGRIND_MAKE_MEM_NOACCESS((p), (n)))
#define HERD_SPARE_SHOW(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#else
#define HERD_SPARE_HIDE(p, n) ((void)(p), (void)(n))
#define HERD_SPARE_SHOW(p, n) ((void)(p), (void)(n))
#endif

#endif
