using System.Globalization;
using System.Text;
using MailOps.Engine.Platform;

namespace MailOps.Engine.Store;

/// <summary>
/// Hands out UIDVALIDITY values for a user's new folders through Dovecot's own files at the Maildir root
/// (lib-storage/mailbox-uidvalidity.c): <c>dovecot-uidvalidity</c> holds the last value as 8 hex digits and an empty
/// <c>dovecot-uidvalidity.XXXXXXXX</c> marks it; claiming the next value is renaming the marker to the next number,
/// which only one process can win. So Dovecot and we never give two folders of one user the same UIDVALIDITY.
/// </summary>
internal static class UidValidityCounter
{
    private const string FileName = "dovecot-uidvalidity";
    private const int RetryCount = 10;
    private static readonly object Gate = new();
    private static uint _lastFallback;

    /// <summary>The next UIDVALIDITY for a new folder of the Maildir at <paramref name="root"/>.</summary>
    public static uint Next(string root, MaildirOwner? owner)
    {
        var path = Path.Combine(root, FileName);
        lock (Gate)
        {
            if (TryReadHex(path, out var current) && TryClaimNext(path, ref current))
            {
                WriteValue(path, current, owner);
                return current;
            }
            return Rescan(root, path, owner);
        }
    }

    private static uint Rescan(string root, string path, MaildirOwner? owner)
    {
        uint max = 0, min = uint.MaxValue;
        foreach (var marker in Directory.EnumerateFiles(root, FileName + ".*"))
        {
            if (!uint.TryParse(Path.GetFileName(marker)[(FileName.Length + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)) continue;
            max = Math.Max(max, value);
            min = Math.Min(min, value);
        }
        if (max == 0)
        {
            // No marker yet: start from the current time, as Dovecot does.
            for (var i = 0; i < RetryCount; i++)
            {
                var value = Fallback();
                try
                {
                    using (new FileStream(MarkerPath(path, value), new FileStreamOptions
                    {
                        Mode = FileMode.CreateNew,
                        Access = FileAccess.Write,
                        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    })) { }
                    if (owner is { } o) Posix.Chown(MarkerPath(path, value), o.Uid, o.Gid);
                    WriteValue(path, value, owner);
                    return value;
                }
                catch (IOException) when (File.Exists(MarkerPath(path, value)))
                {
                }
            }
            return Fallback();
        }
        if (min != max) File.Delete(MarkerPath(path, min));
        var current = max;
        if (!TryClaimNext(path, ref current)) return Fallback();
        WriteValue(path, current, owner);
        return current;
    }

    // Renames marker.<n> to marker.<n+1>; on ENOENT someone else won n+1, so try the next one.
    private static bool TryClaimNext(string path, ref uint value)
    {
        for (var i = 0; i < RetryCount; i++)
        {
            var from = MarkerPath(path, value);
            value++;
            try
            {
                File.Move(from, MarkerPath(path, value), overwrite: true);
                return true;
            }
            catch (FileNotFoundException)
            {
            }
        }
        return false;
    }

    private static uint Fallback()
    {
        var now = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        _lastFallback = _lastFallback < now ? now : _lastFallback + 1;
        return _lastFallback;
    }

    private static bool TryReadHex(string path, out uint value)
    {
        value = 0;
        try
        {
            var text = File.ReadAllText(path);
            return text.Length >= 8 && uint.TryParse(text.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    private static void WriteValue(string path, uint value, MaildirOwner? owner)
    {
        using (var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(Encoding.ASCII.GetBytes(value.ToString("x8", CultureInfo.InvariantCulture)));
        }
        if (owner is { } o) Posix.Chown(path, o.Uid, o.Gid);
    }

    private static string MarkerPath(string path, uint value) => path + "." + value.ToString("x8", CultureInfo.InvariantCulture);
}
