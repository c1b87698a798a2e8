using System.Reflection;
using System.Reflection.Emit;
using TorchSharp;

namespace Rollouts.Policy.Tests;

/// <summary>
/// Reads the IL of an assembly's methods for TorchSharp scalars that live only for the call they are passed to (see
/// <see cref="HeldScalars"/>): a number converted to a <see cref="Scalar"/> that is not stored in a static field or in a
/// local that is disposed later (a <c>using</c> variable), and calls of TorchSharp methods that make such a temporary
/// themselves (<c>Tensor + Tensor</c>, <c>Tensor * double</c>, <c>add(Tensor)</c>, ...).
/// </summary>
internal static class TemporaryScalarScan
{
    private const BindingFlags Everything =
        BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private static readonly Assembly Torch = typeof(Scalar).Assembly;
    private static readonly Dictionary<MethodBase, bool> MakesTemporaryMemo = [];

    private readonly record struct Instruction(OpCode Code, int Operand);

    /// <summary>"Type::Method: what" for every temporary scalar found in <paramref name="types"/>' methods.</summary>
    public static List<string> Find(IEnumerable<Type> types)
    {
        var found = new List<string>();
        foreach (var type in types)
        foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            var code = Decode(method);
            for (int i = 0; i < code.Count; i++)
            {
                if (code[i].Code.OperandType != OperandType.InlineMethod) continue;
                var callee = Resolve(method, code[i].Operand);
                if (callee is null) continue;
                if (IsConversion(callee))
                {
                    if (!IsHeld(method, code, i + 1)) found.Add($"{type.FullName}::{method.Name}: a temporary {Describe(callee)}");
                }
                else if (callee.DeclaringType?.Assembly == Torch && MakesTemporary(callee, 0))
                {
                    found.Add($"{type.FullName}::{method.Name}: {Describe(callee)} makes a temporary scalar");
                }
            }
        }
        return found;
    }

    private static bool IsConversion(MethodBase m) =>
        m is MethodInfo { ReturnType: var r } && r == typeof(Scalar) &&
        (m.DeclaringType == typeof(Scalar) && m.Name == "op_Implicit" || m.DeclaringType == typeof(ScalarExtensionMethods));

    // Stored in a static field, or in a local that the method disposes (ldloc k; callvirt IDisposable.Dispose).
    private static bool IsHeld(MethodBase method, List<Instruction> code, int next)
    {
        if (next >= code.Count) return false;
        if (code[next].Code == OpCodes.Stsfld) return true;
        int? local = StoredLocal(code[next]);
        if (local is null) return false;
        for (int i = 0; i + 1 < code.Count; i++)
            if (LoadedLocal(code[i]) == local && code[i + 1].Code == OpCodes.Callvirt &&
                Resolve(method, code[i + 1].Operand) is { Name: "Dispose" } dispose && dispose.GetParameters().Length == 0) return true;
        return false;
    }

    private static int? StoredLocal(Instruction x) =>
        x.Code.Value switch
        {
            0x0A => 0, 0x0B => 1, 0x0C => 2, 0x0D => 3,
            _ when x.Code == OpCodes.Stloc_S || x.Code == OpCodes.Stloc => x.Operand,
            _ => null,
        };

    private static int? LoadedLocal(Instruction x) =>
        x.Code.Value switch
        {
            0x06 => 0, 0x07 => 1, 0x08 => 2, 0x09 => 3,
            _ when x.Code == OpCodes.Ldloc_S || x.Code == OpCodes.Ldloc => x.Operand,
            _ => null,
        };

    // A TorchSharp method that converts a number to a scalar itself, directly or through the methods it calls.
    private static bool MakesTemporary(MethodBase method, int depth)
    {
        if (IsConversion(method)) return true;
        if (method.DeclaringType?.Assembly != Torch || depth > 3) return false;
        lock (MakesTemporaryMemo)
            if (MakesTemporaryMemo.TryGetValue(method, out bool known)) return known;
        bool makes = false;
        foreach (var x in Decode(method))
        {
            if (x.Code.OperandType != OperandType.InlineMethod) continue;
            var callee = Resolve(method, x.Operand);
            if (callee is not null && MakesTemporary(callee, depth + 1)) { makes = true; break; }
        }
        lock (MakesTemporaryMemo) MakesTemporaryMemo[method] = makes;
        return makes;
    }

    private static MethodBase? Resolve(MethodBase method, int token)
    {
        try
        {
            return method.Module.ResolveMethod(token,
                method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null,
                method.IsGenericMethod ? method.GetGenericArguments() : null);
        }
        catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or FileNotFoundException)
        {
            return null; // a generic or a type from an assembly that is not loaded here: not a TorchSharp scalar
        }
    }

    private static string Describe(MethodBase m) =>
        $"{m.DeclaringType?.Name}.{m.Name}({string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name))})";

    private static List<Instruction> Decode(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception e) when (e is InvalidOperationException or FileNotFoundException or TypeLoadException) { il = null; }
        var code = new List<Instruction>();
        if (il is null) return code;
        int pc = 0;
        while (pc < il.Length)
        {
            short value = il[pc++];
            if (value == 0xFE) value = unchecked((short)(0xFE00 | il[pc++]));
            var op = OpCodesByValue[value];
            int operand = 0;
            switch (op.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    operand = il[pc]; pc += 1; break;
                case OperandType.InlineVar:
                    operand = BitConverter.ToUInt16(il, pc); pc += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    pc += 8; break;
                case OperandType.InlineSwitch:
                    int n = BitConverter.ToInt32(il, pc); pc += 4 + 4 * n; break;
                default:
                    operand = BitConverter.ToInt32(il, pc); pc += 4; break;
            }
            code.Add(new Instruction(op, operand));
        }
        return code;
    }
}
