namespace MailOps.Hosts;

/// <summary>
/// An OpenSSH known_hosts file: plain and hashed host names, <c>[host]:port</c>, and @revoked keys. Decides whether a
/// host's key is trusted, unknown, changed or revoked, and appends newly accepted keys as ssh would.
/// </summary>
public sealed class KnownHostsFile
{
    /// <summary>Uses the file at <paramref name="path"/> (it need not exist yet).</summary>
    public KnownHostsFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The user's own file, <c>~/.ssh/known_hosts</c>, as ssh uses by default.</summary>
    public static string DefaultPath =>
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts");

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The name known_hosts uses for a host: the name itself on port 22, <c>[name]:port</c> otherwise.</summary>
    public static string HostEntryName(string hostName, int port) => port == 22 ? hostName : $"[{hostName}]:{port}";

    /// <summary>The key types known_hosts holds for the host, so the connection can ask the server for one of those.</summary>
    public IReadOnlySet<string> KnownKeyTypes(string hostName, int port)
    {
        var host = HostEntryName(hostName, port);
        return Entries().Where(e => !e.IsRevoked && e.Matches(host)).Select(e => e.Key.KeyType).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Checks the key <paramref name="key"/> presented by the host: returns when it is known, otherwise throws. With
    /// <paramref name="acceptNew"/> a host with no key at all in the file is trusted on first use and its key appended
    /// (StrictHostKeyChecking=accept-new); a changed or revoked key is refused regardless.
    /// </summary>
    /// <returns>True when the key was newly added.</returns>
    /// <exception cref="SshHostKeyException">The key is unknown (without <paramref name="acceptNew"/>), changed or revoked.</exception>
    public bool Check(string hostName, int port, SshHostKey key, bool acceptNew)
    {
        ArgumentNullException.ThrowIfNull(key);
        var host = HostEntryName(hostName, port);
        var entries = Entries().Where(e => e.Matches(host)).ToList();
        if (entries.Any(e => e.IsRevoked && e.Key.Equals(key)))
            throw new SshHostKeyException(SshHostKeyProblem.Revoked, host, key, Path);
        var known = entries.Where(e => !e.IsRevoked).ToList();
        if (known.Any(e => e.Key.Equals(key))) return false;
        if (known.Count > 0) throw new SshHostKeyException(SshHostKeyProblem.Mismatch, host, key, Path);
        if (!acceptNew) throw new SshHostKeyException(SshHostKeyProblem.Unknown, host, key, Path);
        Append(host, key);
        return true;
    }

    // Sessions to several hosts connect in parallel and may append to the same file.
    private static readonly Lock AppendLock = new();

    private void Append(string host, SshHostKey key)
    {
        lock (AppendLock) AppendLine(host, key);
    }

    private void AppendLine(string host, SshHostKey key)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var line = $"{host} {key}\n";
        if (File.Exists(Path) && new FileInfo(Path).Length > 0 && !EndsWithNewline()) line = "\n" + line;
        File.AppendAllText(Path, line);
    }

    private bool EndsWithNewline()
    {
        using var stream = File.OpenRead(Path);
        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() == '\n';
    }

    private IEnumerable<KnownHostEntry> Entries()
    {
        if (!File.Exists(Path)) yield break;
        foreach (var line in File.ReadLines(Path))
            if (KnownHostEntry.Parse(line) is { } entry) yield return entry;
    }
}
