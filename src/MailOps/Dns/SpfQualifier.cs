namespace MailOps.Dns;

/// <summary>The qualifier of an SPF mechanism: the result it gives when it matches (RFC 7208 4.6.2).</summary>
public enum SpfQualifier
{
    /// <summary><c>+</c> (the default): the sender is authorised.</summary>
    Pass,
    /// <summary><c>-</c>: the sender is not authorised.</summary>
    Fail,
    /// <summary><c>~</c>: probably not authorised.</summary>
    SoftFail,
    /// <summary><c>?</c>: no statement about the sender.</summary>
    Neutral,
}
