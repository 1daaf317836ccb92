/* util: the few macros every layer uses. Nothing here depends on anything else. */
#ifndef RT_BASE_UTIL_H
#define RT_BASE_UTIL_H

/* The number of elements of the array A (not of a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define NS_PER_SEC (1000000000ll)
#define NS_PER_MS  (1000000ll)

#endif
