/*
 * bcryptprimitives.dll for Wine versions that lack it (Wine 8.0 among them).
 *
 * Rust's standard library (1.78 and later) gets its random bytes from ProcessPrng, exported by
 * bcryptprimitives.dll. Without that export every Rust program exits at start-up under such a
 * Wine. This DLL provides it on top of RtlGenRandom (advapi32's SystemFunction036), which every
 * Wine has. It exists only to run minimio's tests under Wine and is never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    /* RtlGenRandom takes a 32-bit length: fill larger requests in chunks. */
    while (length > 0) {
        ULONG chunk = length > 0x7fffffff ? 0x7fffffff : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
