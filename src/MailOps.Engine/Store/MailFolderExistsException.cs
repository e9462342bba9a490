namespace MailOps.Engine.Store;

/// <summary>A folder of that name exists already (IMAP's NO [ALREADYEXISTS], RFC 5530 3).</summary>
public sealed class MailFolderExistsException : MailStoreException
{
    /// <summary>The folder name asked for.</summary>
    public string Folder { get; }

    /// <summary>Creates the exception for <paramref name="folder"/>.</summary>
    public MailFolderExistsException(string folder)
        : base($"Folder '{folder}' exists already.", isTransient: false)
    {
        Folder = folder;
    }
}
