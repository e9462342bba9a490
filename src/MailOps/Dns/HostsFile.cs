using System.Net;

namespace MailOps.Dns;

/// <summary>
/// The system's hosts file (hosts(5)): what the C library's "files" source answers before DNS, so that a server using
/// the system resolver names 127.0.0.1 "localhost" as Postfix's smtpd (getnameinfo) does, without asking DNS.
/// </summary>
public sealed class HostsFile
{
    private readonly string _path;
    private readonly object _gate = new();
    private DateTime _readAt = DateTime.MinValue;
    private long _length = -1;
    private Dictionary<IPAddress, string> _names = [];

    /// <summary>Reads <paramref name="path"/> (<c>/etc/hosts</c> by default) when asked, again whenever it changes.</summary>
    public HostsFile(string path = "/etc/hosts") => _path = path;

    /// <summary>The system's <c>/etc/hosts</c>.</summary>
    public static HostsFile System { get; } = new();

    /// <summary>The canonical name (the first on its line) of <paramref name="address"/>; null when the file does not list it.</summary>
    public string? NameOf(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return Current().TryGetValue(address, out var name) ? name : null;
    }

    private Dictionary<IPAddress, string> Current()
    {
        lock (_gate)
        {
            var info = new FileInfo(_path);
            if (!info.Exists) return _names = [];
            if (info.LastWriteTimeUtc == _readAt && info.Length == _length) return _names;
            _readAt = info.LastWriteTimeUtc;
            _length = info.Length;
            return _names = Parse(File.ReadLines(_path));
        }
    }

    /// <summary>Address to canonical name from hosts(5) lines: "address name [aliases...]", # to the end of a line is a comment.</summary>
    public static Dictionary<IPAddress, string> Parse(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var names = new Dictionary<IPAddress, string>();
        foreach (var raw in lines)
        {
            var hash = raw.IndexOf('#');
            var fields = (hash >= 0 ? raw[..hash] : raw).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            // The first line naming an address wins, as the C library's files source returns it.
            if (fields.Length >= 2 && IPAddress.TryParse(fields[0], out var address))
                names.TryAdd(address, fields[1].TrimEnd('.').ToLowerInvariant());
        }
        return names;
    }
}
