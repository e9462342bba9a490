namespace MailOps.Engine.Smtp;

/// <summary>
/// Watches BDAT chunks (RFC 3030) for what DATA refuses: NUL octets and a CR or LF that is not part of a CRLF pair
/// (Postfix's smtpd_forbid_bare_newline, against SMTP smuggling). Chunks may split a CRLF, so the state carries over.
/// </summary>
internal sealed class ChunkContentCheck
{
    private bool _afterCr;

    /// <summary>A NUL octet was seen.</summary>
    public bool Nul { get; private set; }

    /// <summary>A bare CR or bare LF was seen.</summary>
    public bool BareNewline { get; private set; }

    /// <summary>Looks at the next octets of the message.</summary>
    public void Scan(ReadOnlySpan<byte> octets)
    {
        foreach (byte b in octets)
        {
            if (_afterCr && b != (byte)'\n')
            {
                BareNewline = true;
            }

            if (b == 0)
            {
                Nul = true;
            }
            else if (b == (byte)'\n' && !_afterCr)
            {
                BareNewline = true;
            }

            _afterCr = b == (byte)'\r';
        }
    }

    /// <summary>The message ended: a CR as its last octet is bare.</summary>
    public void End()
    {
        if (_afterCr)
        {
            BareNewline = true;
        }
    }
}
