using System.Management.Automation;
using MailOps.Hosts;

namespace MailOps.PowerShell;

/// <summary>Builds the ErrorRecords of every cmdlet, so error IDs stay stable and alike across the module.</summary>
internal static class MailOpsErrors
{
    public static ErrorRecord Record(Exception exception, string errorId, ErrorCategory category, object? target) =>
        new(exception, errorId, category, target);

    /// <summary>The ErrorRecord for one host's failure, its ID from <see cref="MailHostFailure.ErrorId"/>, its target the session or host.</summary>
    public static ErrorRecord FromHost(Exception exception, object? target)
    {
        var id = MailHostFailure.ErrorId(exception);
        var category = id switch
        {
            "SshHostKeyUnknown" or "SshHostKeyMismatch" or "SshHostKeyRevoked" => ErrorCategory.SecurityError,
            "SshAuthenticationFailed" => ErrorCategory.AuthenticationError,
            "MailHostUnreachable" => ErrorCategory.ConnectionError,
            "PostfixParameterUnknown" or "HostProgramNotFound" => ErrorCategory.ObjectNotFound,
            "InvalidArgument" => ErrorCategory.InvalidArgument,
            "HostCommandFailed" => ErrorCategory.InvalidResult,
            _ => ErrorCategory.NotSpecified,
        };
        return Record(exception, id, category, target);
    }

    public static ErrorRecord InvalidArgument(string message, string errorId, object? target) =>
        Record(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target);
}
