namespace MailOps.Logs;

/// <summary>How far a <see cref="MailLogReader"/> is: for Write-Progress on big files.</summary>
/// <param name="File">The file being read.</param>
/// <param name="BytesRead">Bytes of the file read so far (compressed bytes for .gz).</param>
/// <param name="Lines">Lines read from the file so far.</param>
public readonly record struct MailLogReadProgress(MailLogFile File, long BytesRead, long Lines)
{
    /// <summary>Percent of the file read, 0 to 100.</summary>
    public int Percent => File.Length <= 0 ? 100 : (int)Math.Clamp(BytesRead * 100 / File.Length, 0, 100);
}
