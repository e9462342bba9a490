namespace MailOps.Engine.Listeners;

/// <summary>How a line read from the client ended.</summary>
internal enum LineEnd
{
    /// <summary>A CRLF-terminated line.</summary>
    CrLf,

    /// <summary>A line ended by a bare LF.</summary>
    BareLf,

    /// <summary>The line was longer than allowed; it was read and thrown away up to its LF.</summary>
    TooLong,

    /// <summary>The client closed the connection.</summary>
    EndOfStream,
}
