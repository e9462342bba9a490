namespace MailOps.Engine.Auth;

/// <summary>
/// <see cref="IMailAuthenticator"/> over a Dovecot passwd-file, so the bundled server and Dovecot accept the same
/// logins. The file is re-read when its size or time stamp changes, as Dovecot's passwd-file driver does.
/// </summary>
public sealed class PasswdFileAuthenticator : IMailAuthenticator
{
    readonly string _path;
    readonly string _defaultScheme;
    readonly SemaphoreSlim _reload = new(1, 1);
    readonly string _decoy = ShaCrypt.Sha512.Hash("decoy password");
    PasswdFile? _file;
    (DateTime Written, long Length) _stamp;

    /// <summary>Authenticates against the passwd-file at <paramref name="path"/>.</summary>
    /// <param name="path">The passwd-file.</param>
    /// <param name="defaultScheme">The scheme of passwords stored without "{SCHEME}" (passwd-file's scheme= argument).</param>
    public PasswdFileAuthenticator(string path, string defaultScheme = PasswordScheme.Sha512Crypt)
    {
        ArgumentNullException.ThrowIfNull(path);
        _path = path;
        _defaultScheme = defaultScheme;
    }

    /// <inheritdoc />
    public async Task<bool> AuthenticateAsync(string user, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        var file = await CurrentAsync(cancellationToken).ConfigureAwait(false);
        var found = file.Find(user);
        if (found is null)
        {
            // Spend the time a real check would, so response time does not tell which users exist.
            ShaCrypt.Sha512.Verify(password, _decoy);
            return false;
        }
        // Check the password even for a disabled user, for the same reason.
        var matches = PasswordScheme.Verify(password, found.PasswordHash, _defaultScheme);
        return matches && found.Enabled;
    }

    async Task<PasswdFile> CurrentAsync(CancellationToken cancellationToken)
    {
        await _reload.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var info = new FileInfo(_path);
            var stamp = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1L);
            if (_file is null || stamp != _stamp)
            {
                _file = await PasswdFile.LoadAsync(_path, cancellationToken).ConfigureAwait(false);
                _stamp = stamp;
            }
            return _file;
        }
        finally
        {
            _reload.Release();
        }
    }
}
