using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rollouts.Policy;

/// <summary>Optimizers that hand libtorch only held scalars (<see cref="HeldScalars"/>).</summary>
internal static class HeldScalarOptimizer
{
    /// <summary>
    /// TorchSharp's <see cref="TorchSharp.Modules.AdamW"/> with a step that passes held scalars: the library's own step
    /// converts its numbers (β, 1 − β, the step size, ε) into temporaries that a collection started by another thread can
    /// free mid-call, and in a silo the decoding threads run beside the learner. The same state, the same operations in
    /// the same order, so the same weights. Named AdamW because a saved optimizer state begins with the type's name and
    /// loading checks it: checkpoints stay TorchSharp's AdamW's, in both directions.
    /// </summary>
    internal sealed class AdamW(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
        : TorchSharp.Modules.AdamW(parameters, lr, beta1, beta2, eps, weightDecay)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var options = (Options)group.Options;
            double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, lr = options.LearningRate!.Value;
            if (options.amsgrad == true || options.maximize == true)
                throw new NotSupportedException("HeldScalarOptimizer.AdamW implements neither amsgrad nor maximize.");
            using Scalar decay = 1 - lr * options.weight_decay!.Value, b1 = beta1, rest1 = 1 - beta1, b2 = beta2, rest2 = 1 - beta2,
                eps = options.eps!.Value;
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null) continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                param.mul_(decay);
                double correction1 = 1 - Math.Pow(beta1, state.step), correction2 = 1 - Math.Pow(beta2, state.step);
                state.exp_avg.mul_(b1).add_(grad, alpha: rest1);
                state.exp_avg_sq.mul_(b2).addcmul_(grad, grad, value: rest2);
                using Scalar root2 = Math.Sqrt(correction2), minusStep = -(lr / correction1);
                var denom = state.exp_avg_sq.sqrt().div_(root2).add_(eps, HeldScalars.One);
                param.addcdiv_(state.exp_avg, denom, value: minusStep);
            }
        }, closure);
    }
}
