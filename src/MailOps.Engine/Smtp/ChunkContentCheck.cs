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
        while (!octets.IsEmpty)
        {
            if (_afterCr)
            {
                BareNewline |= octets[0] != (byte)'\n';
                _afterCr = false;
                if (octets[0] == (byte)'\n')
                {
                    octets = octets[1..];
                    continue;
                }
            }

            // Ordinary text is skipped in bulk; only CR, LF and NUL need a look.
            int special = octets.IndexOfAny((byte)'\r', (byte)'\n', (byte)0);
            if (special < 0)
            {
                return;
            }

            switch (octets[special])
            {
                case 0:
                    Nul = true;
                    break;
                case (byte)'\n':
                    BareNewline = true;
                    break;
                default:
                    _afterCr = true;
                    break;
            }

            octets = octets[(special + 1)..];
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
