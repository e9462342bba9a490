namespace MailOps.Engine.Imap;

/// <summary>FETCH BINARY[part]&lt;partial&gt;, BINARY.PEEK and BINARY.SIZE (RFC 3516) in the SELECTED state.</summary>
internal sealed partial class ImapSession
{
    private void WriteBinary(ImapResponse r, ImapFetchItem item, ImapBinary binary)
    {
        r.Raw(item.ResponseName + " ");
        if (item.Name == "BINARY.SIZE")
        {
            r.Number(binary.Content.Length);
            return;
        }
        var content = item.Partial(binary.Content);
        // RFC 3516 4.2: decoded (binary) octets go as a literal8, ~{n}.
        if (binary.Binary) r.Raw("~");
        r.Literal(content);
        Count(content.Length, header: false);
    }
}
