using System.ComponentModel;
using System.Net.Sockets;
using MailOps.Config;
using Renci.SshNet.Common;

namespace MailOps.Hosts;

/// <summary>
/// Names what went wrong on one host with a stable error ID, so cmdlets report it alike (and need not know SSH.NET's
/// exception types, which live in the module's own load context).
/// </summary>
public static class MailHostFailure
{
    /// <summary>The error ID for <paramref name="exception"/>: SshHostKeyUnknown, MailHostUnreachable, HostCommandFailed, ...</summary>
    public static string ErrorId(Exception exception) => exception switch
    {
        SshHostKeyException { Problem: SshHostKeyProblem.Unknown } => "SshHostKeyUnknown",
        SshHostKeyException { Problem: SshHostKeyProblem.Mismatch } => "SshHostKeyMismatch",
        SshHostKeyException => "SshHostKeyRevoked",
        SshAuthenticationException => "SshAuthenticationFailed",
        SocketException or SshConnectionException or SshOperationTimeoutException or TimeoutException => "MailHostUnreachable",
        HostCommandException => "HostCommandFailed",
        PostfixParameterUnknownException => "PostfixParameterUnknown",
        Win32Exception => "HostProgramNotFound",
        ArgumentException => "InvalidArgument",
        _ => "MailHostError",
    };
}
