using Rollouts.Agent.Teaching;
using Rollouts.Crafter;
using Rollouts.Crafter.Engine;

namespace Rollouts.Agent;

/// <summary>
/// For each kind in the 9×7 view window, the way the local-vision teacher would go to act on it: the teacher's own
/// navigator (<see cref="Navigator"/> with local vision: the window as it is, everything beyond it assumed free ground;
/// grass, sand and path cost 1, a tree 4, minable stone 3, a creature 4; water, lava, tables, furnaces and plants are
/// never entered) and the teacher's own choice of where to stand (cheapest approach, ties to the first in the
/// navigator's order), so that the prompt's direction is the move the teacher makes when that kind is its target.
/// Runs the navigator over the whole map once per prompt; one navigator per thread, allocation-free once warm.
/// </summary>
internal static class SeenTargets
{
    public const int None = int.MaxValue;

    [ThreadStatic] private static Navigator? t_navigator;

    /// <summary>
    /// Fills, per kind (<see cref="ObservationEncoder.KindAt"/>'s index), the approach cost (<see cref="None"/> when no
    /// walk reaches a cell next to any cell of that kind in the window) and the first move toward it (0 west, 1 east,
    /// 2 north, 3 south; for a kind next to the player, the move that faces or enters it).
    /// </summary>
    public static void Compute(CrafterEnv env, Span<int> cost, Span<byte> direction)
    {
        var world = env.World;
        var player = env.Player;
        var nav = t_navigator;
        if (nav is null || nav.Width != world.Width || nav.Height != world.Height)
            t_navigator = nav = new Navigator(world.Width, world.Height) { LocalVision = true };
        nav.Compute(env);
        cost.Fill(None);
        direction.Clear();
        int px = player.X, py = player.Y, h = world.Height;
        const int hw = ObservationEncoder.WindowHalfWidth, hh = ObservationEncoder.WindowHalfHeight;
        foreach (int s in nav.Settled)
        {
            int sx = s / h, sy = s % h;
            // Only a cell next to the window can stand next to something in it.
            if (Math.Abs(sx - px) > hw + 1 || Math.Abs(sy - py) > hh + 1) continue;
            for (int d = 0; d < 4; d++)
            {
                int tx = sx + Navigator.Dx[d], ty = sy + Navigator.Dy[d];
                if (!world.IsInside(tx, ty) || Math.Abs(tx - px) > hw || Math.Abs(ty - py) > hh || (tx == px && ty == py)) continue;
                int kind = ObservationEncoder.KindAt(world, tx, ty);
                if (kind < 0) continue;
                // The teacher's own approach rule (Teacher.FindApproach and Carry call the same two methods).
                bool free = Navigator.IsFree(world, tx, ty);
                int c = nav.ApproachCost(sx, sy, d, free, Navigator.Faces(player, d));
                if (c == Navigator.Unreachable) continue;
                int move = c > 0 && nav.ApproachWaypoint(sx, sy, d, free, out int wx, out int wy) ? nav.FirstDirection(wx, wy) : d;
                if (c < cost[kind])
                {
                    cost[kind] = c;
                    direction[kind] = (byte)move;
                }
            }
        }
    }
}
