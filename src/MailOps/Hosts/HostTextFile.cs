using System.Security.Cryptography;
using System.Text;

namespace MailOps.Hosts;

/// <summary>
/// Reads and replaces a text file on a host (a Dovecot passwd-file, a Postfix lookup table) through a
/// <see cref="HostConnection"/>, over SSH or locally alike. A change is read, made here, and written back as one
/// remote command: the new text arrives on standard input (never on a command line), lands in a temporary file beside
/// the old one, and under <c>flock</c> on <c>FILE.lock</c> replaces it by rename, if the file still is what was read,
/// with the old file's owner, group and mode, after copying the old file to <c>FILE.bak</c>. A writer that finds the
/// file changed since it read it reads it again and redoes its change, so two writers never lose each other's edits.
/// </summary>
public static class HostTextFile
{
    // Exit code of the write script when the file changed since it was read (sysexits.h EX_TEMPFAIL).
    private const int ChangedSinceRead = 75;

    // Exit code of the read script when there is no file (sysexits.h EX_NOINPUT).
    private const int NoFile = 66;

    private const int Attempts = 8;

    // $1 = the file. Prints it, or exits 66 when there is none.
    private const string ReadScript = "[ -e \"$1\" ] || exit 66; exec cat -- \"$1\"";

    // $1 = the file, $2 = sha256 of the file as read ("-": there was none), $3 = sha256 of the new text on standard
    // input, $4 = a table for postmap after the change ("": none), $5 = the new text's length in bytes: exactly that much
    // is read, so the script never depends on the end of its input arriving.
    // Symlinks are followed, so the target is replaced. Dovecot's passwd-file notices a change by mtime (in seconds) and
    // size alone, so a same-size change within the second of the last one gets an mtime one second later than it.
    private const string WriteScript = """
        f=$1
        if [ -L "$f" ]; then f=$(readlink -f -- "$f") || exit 1; fi
        d=$(dirname -- "$f"); b=$(basename -- "$f")
        umask 077
        t=$(mktemp -- "$d/.$b.XXXXXX") || exit 1
        trap 'rm -f -- "$t"' EXIT
        head -c "$5" > "$t" || exit 1
        n=$(sha256sum < "$t") || exit 1
        [ "${n%% *}" = "$3" ] || { echo "$f: the new text arrived incomplete; the file was not replaced" >&2; exit 1; }
        exec 9>>"$f.lock" || exit 1
        flock -w 60 9 || { echo "$f.lock: another writer held it for 60 s; the file was not replaced" >&2; exit 1; }
        if [ -e "$f" ]; then c=$(sha256sum < "$f") || exit 1; c=${c%% *}; else c=-; fi
        [ "$c" = "$2" ] || exit 75
        if [ "$c" != - ]; then
          chown --reference="$f" -- "$t" && chmod --reference="$f" -- "$t" ||
            { echo "$f: cannot give the new file the old one's owner and mode; the file was not replaced" >&2; exit 1; }
          cp -p -- "$f" "$f.bak" || exit 1
          o=$(stat -c %Y -- "$f") && m=$(stat -c %Y -- "$t") || exit 1
          [ "$m" -gt "$o" ] || touch -d "@$((o + 1))" -- "$t" || exit 1
        fi
        sync -- "$t" || exit 1
        mv -f -- "$t" "$f" || exit 1
        trap - EXIT
        [ -z "$4" ] && exit 0
        postmap "$4" && exit 0
        if [ "$c" != - ]; then cp -p -- "$f.bak" "$f" && postmap "$4"; else rm -f -- "$f"; fi
        echo "$f: postmap $4 failed; the previous file is back in place" >&2
        exit 1
        """;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Where the previous version of <paramref name="path"/> is kept after a change: <c>FILE.bak</c> beside it.</summary>
    public static string BackupPath(string path) => path + ".bak";

    /// <summary>The text of <paramref name="path"/> on <paramref name="host"/>; null when there is no such file.</summary>
    /// <exception cref="IOException">The file could not be read (its error output says why).</exception>
    /// <exception cref="InvalidDataException">The file is not UTF-8 text.</exception>
    public static async Task<string?> ReadAsync(HostConnection host, string path, CancellationToken cancellationToken = default)
    {
        var (text, _) = await ReadWithHashAsync(host, path, cancellationToken).ConfigureAwait(false);
        return text;
    }

    /// <summary>
    /// Changes <paramref name="path"/> on <paramref name="host"/>: <paramref name="edit"/> gets the current text ("" when
    /// there is no file) and returns the new text and a result, which is returned once the new text is in place. When
    /// another writer changed the file in between, the file is read again and <paramref name="edit"/> runs again.
    /// With <paramref name="postmapTable"/> (<c>type:path</c>), <c>postmap</c> rebuilds that table under the same lock;
    /// when it fails the previous file is put back.
    /// </summary>
    /// <exception cref="IOException">The file could not be read or replaced, postmap failed, or other writers kept changing it.</exception>
    /// <exception cref="InvalidDataException">The file is not UTF-8 text.</exception>
    public static async Task<T> EditAsync<T>(
        HostConnection host, string path, Func<string, (string Text, T Result)> edit, string? postmapTable = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(edit);
        for (var attempt = 1; ; attempt++)
        {
            var (current, hash) = await ReadWithHashAsync(host, path, cancellationToken).ConfigureAwait(false);
            var (text, result) = edit(current ?? "");
            var bytes = StrictUtf8.GetBytes(text);
            var command = new HostCommand("sh", "-c", WriteScript, "sh", path, hash ?? "-", Sha256(bytes), postmapTable ?? "",
                bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                Input = bytes,
            };
            var written = await host.RunAsync(command, cancellationToken).ConfigureAwait(false);
            if (written.Succeeded) return result;
            if (written.ExitCode != ChangedSinceRead)
                throw new IOException($"{host.ComputerName}: {path} was not changed: {Problem(written.Error, written.ExitCode)}");
            if (attempt == Attempts)
                throw new IOException($"{host.ComputerName}: {path} was changed by other writers {Attempts} times while this change was made; it was not made.");
        }
    }

    private static async Task<(string? Text, string? Sha256)> ReadWithHashAsync(HostConnection host, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var command = new HostCommand("sh", "-c", ReadScript, "sh", path);
        await using var running = await host.StartAsync(command, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await running.Output.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        var (exitCode, error) = await running.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (exitCode == NoFile) return (null, null);
        if (exitCode != 0) throw new IOException($"{host.ComputerName}: {path} could not be read: {Problem(error, exitCode)}");
        var bytes = buffer.ToArray();
        try
        {
            return (StrictUtf8.GetString(bytes), Sha256(bytes));
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{host.ComputerName}: {path} is not UTF-8 text; it is left as it is.", e);
        }
    }

    private static string Problem(string error, int exitCode) =>
        string.IsNullOrWhiteSpace(error) ? $"exit code {exitCode}" : error.Trim();

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
