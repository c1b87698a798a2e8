using TorchSharp;

namespace Rollouts.Policy;

/// <summary>
/// Scalars that outlive every libtorch call they are passed to. TorchSharp turns a C# number into a temporary
/// <see cref="Scalar"/> (also inside <c>Tensor + Tensor</c>, whose alpha is a temporary 1) and passes only its native
/// handle; nothing keeps the managed object alive through the call, so a collection started by another thread can run
/// its finalizer, which frees the native scalar mid-call ("Unknown scalar type", "Expected false to be true" from
/// c10::Scalar, or worse). Code that runs beside other threads (sharded steps, inference next to a learner) passes these
/// static ones, or scalars it holds in a <c>using</c> variable until the call has returned.
/// </summary>
internal static class HeldScalars
{
    public static readonly Scalar One = 1.0.ToScalar();
    public static readonly Scalar Half = 0.5.ToScalar();
    public static readonly Scalar AdvantageEps = 1e-8.ToScalar();
    public static readonly Scalar MaskedLogit = PolicyDecoder.MaskedLogit.ToScalar();
}
