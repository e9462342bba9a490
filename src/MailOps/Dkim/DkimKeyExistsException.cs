namespace MailOps.Dkim;

/// <summary>A DKIM private key file already exists and overwriting it was not asked for.</summary>
public sealed class DkimKeyExistsException : IOException
{
    /// <summary>Creates the exception for the file at <paramref name="path"/>.</summary>
    public DkimKeyExistsException(string path, Exception? inner = null)
        : base($"The DKIM key file '{path}' already exists; use -Force to replace it.", inner) => Path = path;

    /// <summary>The existing key file.</summary>
    public string Path { get; }
}
