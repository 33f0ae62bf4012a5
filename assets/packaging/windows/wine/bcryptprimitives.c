/*
 * A stand-in for Windows' bcryptprimitives.dll, for testing under Wine only.
 *
 * Go's Windows runtime (since Go 1.22) takes its random bytes from
 * ProcessPrng in bcryptprimitives.dll, present in Windows 10 and later, and
 * stops at start with "fatal error: bcryptprimitives.dll not found" without
 * it. Debian 12's Wine 8 lacks that DLL; it has BCryptGenRandom, which on
 * Windows draws from the same system generator. wine-check.sh builds this
 * with MinGW and copies it into its throwaway Wine prefix's system32. It is
 * never installed on a Windows machine, which has the real one.
 */
#include <windows.h>
#include <bcrypt.h>

/* ProcessPrng fills data with len random bytes; on Windows it never fails. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		/* BCryptGenRandom takes a ULONG: fill in pieces no larger. */
		ULONG part = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, part, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
			return FALSE;
		data += part;
		len -= part;
	}
	return TRUE;
}
