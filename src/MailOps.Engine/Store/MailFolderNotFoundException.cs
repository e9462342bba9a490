namespace MailOps.Engine.Store;

/// <summary>The named folder does not exist (IMAP's NO [NONEXISTENT], RFC 5530 3).</summary>
public sealed class MailFolderNotFoundException : MailStoreException
{
    /// <summary>The folder name asked for.</summary>
    public string Folder { get; }

    /// <summary>Creates the exception for <paramref name="folder"/>.</summary>
    public MailFolderNotFoundException(string folder)
        : base($"Folder '{folder}' does not exist.", isTransient: false)
    {
        Folder = folder;
    }
}
