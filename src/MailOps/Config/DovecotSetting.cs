namespace MailOps.Config;

/// <summary>
/// One Dovecot setting as doveconf reports it, with sections flattened into the name:
/// <c>service imap-login/inet_listener imaps/port</c>.
/// </summary>
public sealed class DovecotSetting
{
    /// <summary>The setting's path: enclosing sections (type and name) then the key, joined by '/'.</summary>
    public required string Name { get; init; }

    /// <summary>The value, without the quotes doveconf adds around values with leading or trailing spaces.</summary>
    public required string Value { get; init; }

    /// <summary>Whether the setting is at Dovecot's default (it is not in <c>doveconf -n</c>).</summary>
    public bool IsDefault { get; init; }

    /// <summary>The dovecot.conf doveconf read (the path in its first line).</summary>
    public string? Source { get; init; }

    /// <summary>The host the setting was read on.</summary>
    public required string ComputerName { get; init; }
}
