using System.Management.Automation;

namespace MailOps.PowerShell;

/// <summary>Builds the ErrorRecords of every cmdlet, so error IDs stay stable and alike across the module.</summary>
internal static class MailOpsErrors
{
    public static ErrorRecord Record(Exception exception, string errorId, ErrorCategory category, object? target) =>
        new(exception, errorId, category, target);

    public static ErrorRecord InvalidArgument(string message, string errorId, object? target) =>
        Record(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target);
}
