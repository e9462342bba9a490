using System.Runtime.InteropServices;

namespace MailOps.Engine.Configuration;

/// <summary>The owning group of a file, which .NET does not expose: read from stat(2).</summary>
internal static class UnixFileOwner
{
    [DllImport("libc.so.6", SetLastError = true, EntryPoint = "stat")]
    private static extern int Stat(string path, byte[] buffer);

    /// <summary>The file's group id, or null when stat fails or the struct layout of this platform is not known here.</summary>
    public static uint? GroupId(string path)
    {
        // struct stat layout (glibc): x86_64 puts st_gid at byte 32 (st_nlink is 8 bytes there); the generic layout of arm64 at 28.
        int offset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 32,
            Architecture.Arm64 => 28,
            _ => -1,
        };
        if (offset < 0 || !OperatingSystem.IsLinux()) return null;
        var buffer = new byte[256];
        try { if (Stat(path, buffer) != 0) return null; }
        catch (DllNotFoundException) { return null; }
        catch (EntryPointNotFoundException) { return null; }
        return BitConverter.ToUInt32(buffer, offset);
    }
}
