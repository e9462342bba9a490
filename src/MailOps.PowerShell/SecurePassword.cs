using System.Runtime.InteropServices;
using System.Security;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>Turns a SecureString into a stored password without ever making it a string.</summary>
internal static class SecurePassword
{
    /// <summary>"{SHA512-CRYPT}$6$..." of <paramref name="password"/>; every plain copy made here is zeroed before returning.</summary>
    public static string Hash(SecureString password)
    {
        var chars = new char[password.Length];
        var unmanaged = Marshal.SecureStringToGlobalAllocUnicode(password);
        try
        {
            Marshal.Copy(unmanaged, chars, 0, chars.Length);
            return PasswordScheme.Hash(chars);
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
            Array.Clear(chars);
        }
    }
}
