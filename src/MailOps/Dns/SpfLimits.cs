namespace MailOps.Dns;

/// <summary>
/// The processing limits of RFC 7208 4.6.4, in one place for the record checker (<see cref="SpfCheck"/>) and the
/// evaluator (<see cref="SpfEvaluator"/>), so that both count the same way.
/// </summary>
internal static class SpfLimits
{
    /// <summary>DNS-querying terms (include, a, mx, ptr, exists, redirect) allowed in one evaluation; the 11th is a permerror.</summary>
    public const int DnsLookups = 10;
    /// <summary>Lookups answered with no records (NXDOMAIN or no data) allowed; the 3rd is a permerror.</summary>
    public const int VoidLookups = 2;
    /// <summary>MX hosts one mx mechanism may look up addresses for; more is a permerror.</summary>
    public const int MxHosts = 10;
    /// <summary>PTR names one ptr mechanism (or %{p}) may look up; the rest are ignored.</summary>
    public const int PtrNames = 10;

    /// <summary>True when <paramref name="lookups"/> terms are past the limit.</summary>
    public static bool OverDnsLookups(int lookups) => lookups > DnsLookups;

    /// <summary>True when <paramref name="voidLookups"/> are past the limit.</summary>
    public static bool OverVoidLookups(int voidLookups) => voidLookups > VoidLookups;
}
