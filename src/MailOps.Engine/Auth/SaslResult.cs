namespace MailOps.Engine.Auth;

/// <summary>The end of a SASL exchange (<see cref="SaslExchange"/>).</summary>
/// <param name="Status">How it ended.</param>
/// <param name="Mechanism">The mechanism, upper case, as the logs name it.</param>
/// <param name="User">The authentication identity, when <paramref name="Status"/> is <see cref="SaslStatus.Credentials"/>.</param>
/// <param name="Password">The password, likewise.</param>
internal readonly record struct SaslResult(SaslStatus Status, string Mechanism, string User = "", string Password = "");
