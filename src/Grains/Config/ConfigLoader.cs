using System.Globalization;
using System.Reflection;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Rollouts.Config;

/// <summary>A config file that cannot be used; the message names the file, the field and the problem.</summary>
public sealed class ConfigException(string message) : Exception(message);

/// <summary>
/// Binds a YAML file to <see cref="RolloutsConfig"/>: sections and fields in snake_case, every field optional
/// (defaults apply), unknown sections or fields and wrongly typed values are errors naming the file, line and
/// field, and <see cref="RolloutsConfig.Validate"/> runs last.
/// </summary>
public static class ConfigLoader
{
    public static RolloutsConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ConfigException($"{path}: config file not found");
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ConfigException($"{path}: cannot read: {e.Message}"); }
        return Parse(text, path);
    }

    public static RolloutsConfig Parse(string yaml, string fileName = "<config>")
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw new ConfigException($"{fileName}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.Message}"); }

        var config = new RolloutsConfig();
        if (stream.Documents.Count == 0) return Validated(config, fileName);
        if (stream.Documents.Count > 1) throw new ConfigException($"{fileName}: holds {stream.Documents.Count} YAML documents; expected one");
        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" }) return Validated(config, fileName);
        if (root is not YamlMappingNode top)
            throw new ConfigException($"{fileName}:{root.Start.Line}: expected a mapping of sections ({Known(typeof(RolloutsConfig))})");
        Bind(config, top, "", fileName);
        return Validated(config, fileName);
    }

    private static RolloutsConfig Validated(RolloutsConfig config, string fileName)
    {
        var errors = config.Validate();
        if (errors.Count > 0) throw new ConfigException($"{fileName}: invalid value{(errors.Count > 1 ? "s" : "")}: " + string.Join("; ", errors));
        return config;
    }

    private static void Bind(object target, YamlMappingNode mapping, string prefix, string fileName)
    {
        var seen = new HashSet<string>();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? "";
            string field = prefix + key;
            if (!seen.Add(key)) throw new ConfigException($"{fileName}:{keyNode.Start.Line}: '{field}' is given twice");
            var property = FindProperty(target.GetType(), key)
                ?? throw new ConfigException($"{fileName}:{keyNode.Start.Line}: unknown field '{field}' (known in {(prefix.Length == 0 ? "the top level" : prefix.TrimEnd('.'))}: {Known(target.GetType())})");
            var type = property.PropertyType;
            if (IsSection(type))
            {
                if (valueNode is YamlScalarNode { Value: null or "" }) continue;
                if (valueNode is not YamlMappingNode section)
                    throw new ConfigException($"{fileName}:{valueNode.Start.Line}: '{field}' must be a mapping of fields ({Known(type)})");
                Bind(property.GetValue(target)!, section, field + ".", fileName);
                continue;
            }
            if (valueNode is not YamlScalarNode scalar)
                throw new ConfigException($"{fileName}:{valueNode.Start.Line}: '{field}' must be {TypeName(type)}, not a list or mapping");
            property.SetValue(target, Convert(scalar, type, field, fileName));
        }
    }

    private static object Convert(YamlScalarNode scalar, Type type, string field, string fileName)
    {
        string raw = scalar.Value ?? "";
        string where = $"{fileName}:{scalar.Start.Line}: '{field}'";
        if (type == typeof(string)) return raw;
        if (type == typeof(int) && int.TryParse(raw.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)) return i;
        if (type == typeof(long) && long.TryParse(raw.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) return l;
        if (type == typeof(double) && double.TryParse(raw.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)) return d;
        if (type == typeof(bool))
        {
            if (raw is "true" or "True" or "yes") return true;
            if (raw is "false" or "False" or "no") return false;
        }
        throw new ConfigException($"{where} must be {TypeName(type)}, got '{raw}'");
    }

    private static string TypeName(Type type) =>
        type == typeof(int) || type == typeof(long) ? "an integer"
        : type == typeof(double) ? "a number"
        : type == typeof(bool) ? "true or false"
        : "a string";

    private static bool IsSection(Type type) => type.IsClass && type != typeof(string);

    private static PropertyInfo? FindProperty(Type type, string key) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).FirstOrDefault(p => p.CanWrite && SnakeCase(p.Name) == key);

    private static string Known(Type type) =>
        string.Join(", ", type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => SnakeCase(p.Name)));

    /// <summary>PascalCase to snake_case: <c>MaxWaitMs</c> → <c>max_wait_ms</c>, <c>DModel</c> → <c>d_model</c>.</summary>
    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>The config as YAML (every field, defaults included), readable by <see cref="Parse"/>.</summary>
    public static string ToYaml(RolloutsConfig config)
    {
        var sb = new StringBuilder();
        foreach (var section in typeof(RolloutsConfig).GetProperties().Where(p => IsSection(p.PropertyType)))
        {
            sb.Append(SnakeCase(section.Name)).Append(":\n");
            var value = section.GetValue(config)!;
            foreach (var p in section.PropertyType.GetProperties().Where(p => p.CanWrite))
            {
                object? v = p.GetValue(value);
                string s = v switch
                {
                    double dv => dv.ToString("R", CultureInfo.InvariantCulture),
                    bool bv => bv ? "true" : "false",
                    string sv => "\"" + sv.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    _ => v?.ToString() ?? "",
                };
                sb.Append("  ").Append(SnakeCase(p.Name)).Append(": ").Append(s).Append('\n');
            }
        }
        return sb.ToString();
    }
}
