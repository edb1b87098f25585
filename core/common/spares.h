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

#endif
