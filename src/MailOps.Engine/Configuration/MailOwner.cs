using System.Globalization;

namespace MailOps.Engine.Configuration;

/// <summary>
/// The account that owns the users' Maildirs (Dovecot's mail_uid/mail_gid). A server run as root writes mail with this
/// owner so that Dovecot, which refuses to read mail as root, can serve it.
/// </summary>
/// <param name="Name">The account name, or "uid:gid" as given.</param>
/// <param name="Uid">Its user ID.</param>
/// <param name="Gid">Its group ID.</param>
public sealed record MailOwner(string Name, uint Uid, uint Gid)
{
    /// <summary>Resolves "name" through /etc/passwd, or takes "uid:gid" as numbers.</summary>
    public static bool TryResolve(string text, out MailOwner? owner, out string error)
    {
        owner = null;
        error = "";
        var parts = text.Split(':');
        if (parts.Length == 2
            && uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            && uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
        {
            owner = new MailOwner(text, uid, gid);
            return true;
        }
        if (text.Length == 0 || text.Contains(':'))
        {
            error = $"'{text}' is neither an account name nor uid:gid.";
            return false;
        }
        const string passwd = "/etc/passwd";
        if (File.Exists(passwd))
        {
            foreach (var line in File.ReadLines(passwd))
            {
                var fields = line.Split(':');
                if (fields.Length > 3 && fields[0] == text
                    && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var u)
                    && uint.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var g))
                {
                    owner = new MailOwner(text, u, g);
                    return true;
                }
            }
        }
        error = $"there is no account '{text}' in {passwd}.";
        return false;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Uid}:{Gid})";
}
