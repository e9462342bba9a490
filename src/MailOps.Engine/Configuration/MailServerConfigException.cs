namespace MailOps.Engine.Configuration;

/// <summary>A configuration file was refused; <see cref="Errors"/> lists every problem found, not only the first.</summary>
public sealed class MailServerConfigException : Exception
{
    /// <summary>Creates the exception for <paramref name="file"/> with its <paramref name="errors"/>.</summary>
    public MailServerConfigException(string file, IReadOnlyList<MailServerConfigError> errors)
        : base($"The mail server configuration {file} has {errors.Count} error(s):{Environment.NewLine}{string.Join(Environment.NewLine, errors)}")
    {
        File = file;
        Errors = errors;
    }

    /// <summary>The configuration file.</summary>
    public string File { get; }

    /// <summary>Every problem found, in file order where lines are known.</summary>
    public IReadOnlyList<MailServerConfigError> Errors { get; }
}
