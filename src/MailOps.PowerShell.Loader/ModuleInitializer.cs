using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace MailOps.PowerShell.Loader;

/// <summary>
/// Loads the MailOps library and its dependencies (MimeKit, MailKit, DnsClient, SSH.NET, BouncyCastle) into the
/// module's own <see cref="AssemblyLoadContext"/>, so another module in the same session may load other versions.
/// Only this cmdlet assembly lives in the default context; it reaches the library through <see cref="Resolve"/>.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string DependencyDirectory =
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "deps");

    private static readonly MailOpsLoadContext LoadContext = new(DependencyDirectory);

    private static readonly Type? TypeAccelerators = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");
    private static readonly List<string> Accelerators = [];

    /// <summary>Hooks the default context's resolution of the MailOps library and makes its public types known to PowerShell by full name.</summary>
    public void OnImport()
    {
        AssemblyLoadContext.Default.Resolving += Resolve;
        RegisterTypeNames();
    }

    /// <summary>Unhooks it when the module is removed.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        AssemblyLoadContext.Default.Resolving -= Resolve;
        var remove = TypeAccelerators?.GetMethod("Remove", [typeof(string)]);
        foreach (var name in Accelerators) remove?.Invoke(null, [name]);
        Accelerators.Clear();
    }

    // PowerShell resolves a type literal such as [MailOps.Dns.MailDnsCheckResult] only from assemblies in the default
    // context; an accelerator under the type's full name lets scripts use -is and [type] on our output objects.
    private static void RegisterTypeNames()
    {
        var add = TypeAccelerators?.GetMethod("Add", [typeof(string), typeof(Type)]);
        if (add is null) return;
        var types = Libraries.Select(n => LoadContext.LoadFromAssemblyName(new AssemblyName(n)))
            .SelectMany(a => a.GetExportedTypes()).Where(t => t.FullName is not null && !t.IsNested);
        foreach (var type in types)
        {
            add.Invoke(null, [type.FullName!, type]);
            Accelerators.Add(type.FullName!);
        }
    }

    // The cmdlets reference only our own assemblies (MailOps, MailOps.Engine); those are the bridge into the load context.
    private static readonly string[] Libraries = ["MailOps", "MailOps.Engine"];

    private static Assembly? Resolve(AssemblyLoadContext context, AssemblyName name) =>
        Libraries.Contains(name.Name) ? LoadContext.LoadFromAssemblyName(name) : null;
}

/// <summary>The module's load context: resolves every assembly found in the deps folder from there, the rest from the default context.</summary>
internal sealed class MailOpsLoadContext(string directory) : AssemblyLoadContext("MailOps")
{
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(directory, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = Path.Combine(directory, unmanagedDllName);
        return File.Exists(path) ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
