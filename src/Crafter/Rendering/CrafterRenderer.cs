using Rollouts.Crafter.Engine;
using Rollouts.Crafter.Objects;

namespace Rollouts.Crafter.Rendering;

/// <summary>
/// Crafter 1.8.3's RGB observation (<c>Env.render()</c>: <c>LocalView</c> with daylight, night noise and
/// sleep, <c>ItemView</c> below it), byte for byte. The image is written row-major (height x width x 3),
/// i.e. after Crafter's final transpose. At night it draws <c>uniform(32, 127)</c> once per local-view
/// pixel from the world's generator, exactly as Crafter does, so the world stays in step.
/// After construction (which resizes every texture it can need) <see cref="Render"/> allocates nothing.
/// </summary>
public sealed class CrafterRenderer
{
    // Colours and strengths from engine.LocalView._light / _sleep.
    private static readonly byte[] NightTint = [0, 16, 64];
    private static readonly byte[] SleepTint = [0, 0, 16];

    // Blend(grey, value, 0.4f) of ImageEnhance.Color(...).enhance(0.4), indexed [grey << 8 | value].
    private static readonly byte[] Saturate04 = BuildSaturationTable(0.4f);

    // numpy's (x / 255) in float32 for every byte value; _draw_alpha divides the canvas this way.
    private static readonly float[] ByteOver255 = BuildByteOver255();

    private readonly int _width, _height;          // output image
    private readonly int _unitX, _unitY;           // pixels per cell
    private readonly int _gridX, _gridY;           // local view in cells (the view minus the item rows)
    private readonly int _itemRows;
    private readonly int _localW, _localH;         // local view canvas in pixels
    private readonly int _borderX, _borderY;       // where the view sits in the image
    private readonly byte[] _local;                // local view canvas, row-major RGB
    private readonly byte[] _night;                // the canvas with night noise, row-major RGB
    private readonly double[] _vignette;           // LocalView._vignette, indexed y * localW + x
    private readonly Texture[] _cellTextures;      // by asset index, resized to one cell
    private readonly Dictionary<string, int> _assetIndex;
    private readonly int[] _materialTexture;       // Material -> asset index
    private readonly Texture?[] _itemIcons;        // by inventory index
    private readonly Texture?[] _amountTextures;   // 0..8 = "1".."9", 9 = "unknown"
    private readonly int[] _iconX, _iconY, _amountX, _amountY; // ItemView positions by inventory index

    public CrafterRenderer(CrafterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _width = options.ImageWidth;
        _height = options.ImageHeight;
        int viewX = options.ViewWidth, viewY = options.ViewHeight;
        // Env.render: unit = size // view; item_rows = ceil(len(items) / view[0]); local grid = view minus item rows.
        _unitX = _width / viewX;
        _unitY = _height / viewY;
        _itemRows = (CrafterNames.ItemCount + viewX - 1) / viewX;
        _gridX = viewX;
        _gridY = viewY - _itemRows;
        if (_gridY < 0)
            throw new ArgumentException($"A {viewX}x{viewY} view has no room for the {_itemRows} inventory rows.", nameof(options));
        _localW = _gridX * _unitX;
        _localH = _gridY * _unitY;
        _borderX = (_width - _unitX * viewX) / 2;
        _borderY = (_height - _unitY * viewY) / 2;
        _local = new byte[_localW * _localH * 3];
        _night = new byte[_local.Length];
        _vignette = BuildVignette(_localW, _localH);

        var originals = TextureAssets.Originals;
        _assetIndex = new Dictionary<string, int>(originals.Count, StringComparer.Ordinal);
        _cellTextures = new Texture[originals.Count];
        int index = 0;
        foreach (var (name, image) in originals)
        {
            _assetIndex[name] = index;
            _cellTextures[index++] = Texture.Resize(image, _unitX, _unitY);
        }

        _materialTexture = new int[CrafterNames.Materials.Length];
        for (int m = 0; m < _materialTexture.Length; m++)
            _materialTexture[m] = AssetIndex(m == (int)Material.None ? "unknown" : CrafterNames.Materials[m]);

        // ItemView: icon at int(pos * unit + 0.1 * unit), size int(0.8 * unit); amount at +0.4 * unit, size int(0.6 * unit).
        int iconW = (int)(0.8 * _unitX), iconH = (int)(0.8 * _unitY);
        int digitW = (int)(0.6 * _unitX), digitH = (int)(0.6 * _unitY);
        int items = CrafterNames.ItemCount;
        _itemIcons = new Texture?[items];
        _iconX = new int[items];
        _iconY = new int[items];
        _amountX = new int[items];
        _amountY = new int[items];
        for (int i = 0; i < items; i++)
        {
            int cellX = i % _gridX, cellY = i / _gridX;
            _iconX[i] = (int)(cellX * _unitX + 0.1 * _unitX);
            _iconY[i] = (int)(cellY * _unitY + 0.1 * _unitY);
            _amountX[i] = (int)(cellX * _unitX + 0.4 * _unitX);
            _amountY[i] = (int)(cellY * _unitY + 0.4 * _unitY);
            _itemIcons[i] = ResizeOrNull(CrafterNames.Items[i], iconW, iconH);
        }

        _amountTextures = new Texture?[10];
        for (int d = 0; d < 10; d++)
            _amountTextures[d] = ResizeOrNull(d < 9 ? ((char)('1' + d)).ToString() : "unknown", digitW, digitH);
    }

    /// <summary>Image width in pixels.</summary>
    public int Width => _width;

    /// <summary>Image height in pixels.</summary>
    public int Height => _height;

    /// <summary>
    /// Renders the observation into <paramref name="rgb"/> (height x width x 3). Draws the night noise from
    /// <c>world.Random</c> when <c>world.Daylight &lt; 0.5</c>.
    /// </summary>
    public void Render(World world, Player player, Span<byte> rgb)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(player);
        int size = _width * _height * 3;
        if (rgb.Length < size)
            throw new ArgumentException($"The buffer holds {rgb.Length} bytes; a {_width}x{_height} RGB image needs {size}.", nameof(rgb));
        rgb = rgb[..size];
        rgb.Clear();

        DrawLocalView(world, player);
        LightLocalView(world, player.Sleeping, rgb);
        DrawItemView(player.Inventory, rgb);
    }

    /// <summary>LocalView.__call__ up to the lighting: grey background, materials, then objects in world order.</summary>
    private void DrawLocalView(World world, Player player)
    {
        _local.AsSpan().Fill(127);
        int offsetX = _gridX / 2, offsetY = _gridY / 2;
        var local = new Canvas(_local, _localW, _localH);
        for (int x = 0; x < _gridX; x++)
        {
            for (int y = 0; y < _gridY; y++)
            {
                int wx = player.X + x - offsetX, wy = player.Y + y - offsetY;
                if (!world.IsInside(wx, wy)) continue;
                var texture = _cellTextures[_materialTexture[(int)world.GetMaterial(wx, wy)]];
                texture.Draw(local, x * _unitX, y * _unitY);
            }
        }

        foreach (var obj in world.ObjectSlots)
        {
            if (obj is null) continue;
            int gx = obj.X - player.X + offsetX, gy = obj.Y - player.Y + offsetY;
            if ((uint)gx >= (uint)_gridX || (uint)gy >= (uint)_gridY) continue;
            _cellTextures[AssetIndex(obj.Texture)].DrawAlpha(local, gx * _unitX, gy * _unitY);
        }
    }

    /// <summary>
    /// LocalView._light (and _sleep) per pixel, in numpy's float64 order, then the uint8 truncation of the
    /// final assignment into the image.
    /// </summary>
    private void LightLocalView(World world, bool sleeping, Span<byte> rgb)
    {
        double daylight = world.Daylight;
        double dark = 1 - daylight;
        byte[] night = _local;
        if (daylight < 0.5)
        {
            AddNoise(world.Random, 2 * (0.5 - daylight));
            night = _night;
        }

        var saturate = Saturate04;
        int rowBytes = _localW * 3;
        for (int y = 0; y < _localH; y++)
        {
            var canvas = _local.AsSpan(y * rowBytes, rowBytes);
            var n = night.AsSpan(y * rowBytes, rowBytes);
            var dst = rgb.Slice(((_borderY + y) * _width + _borderX) * 3, rowBytes);
            for (int i = 0; i < rowBytes; i += 3)
            {
                // ImageEnhance.Color(night).enhance(0.4) = blend(grey, night, 0.4f); then the tint towards
                // (0, 16, 64) by half, and daylight * canvas + (1 - daylight) * night.
                int grey = PillowOps.Luma(n[i], n[i + 1], n[i + 2]) << 8;
                double r = daylight * canvas[i] + dark * (0.5 * saturate[grey | n[i]] + 0.5 * NightTint[0]);
                double g = daylight * canvas[i + 1] + dark * (0.5 * saturate[grey | n[i + 1]] + 0.5 * NightTint[1]);
                double b = daylight * canvas[i + 2] + dark * (0.5 * saturate[grey | n[i + 2]] + 0.5 * NightTint[2]);
                if (!sleeping)
                {
                    dst[i] = PillowOps.ToByte(r);
                    dst[i + 1] = PillowOps.ToByte(g);
                    dst[i + 2] = PillowOps.ToByte(b);
                }
                else
                {
                    // _sleep: truncate, enhance(0.0) (= the grey image), tint towards (0, 0, 16) by half.
                    double sleepGrey = PillowOps.Luma(PillowOps.ToByte(r), PillowOps.ToByte(g), PillowOps.ToByte(b));
                    dst[i] = PillowOps.ToByte(0.5 * sleepGrey + 0.5 * SleepTint[0]);
                    dst[i + 1] = PillowOps.ToByte(0.5 * sleepGrey + 0.5 * SleepTint[1]);
                    dst[i + 2] = PillowOps.ToByte(0.5 * sleepGrey + 0.5 * SleepTint[2]);
                }
            }
        }
    }

    /// <summary>
    /// LocalView._noise into <see cref="_night"/>: <c>(1 - mask) * canvas + mask * noise</c> truncated by
    /// <c>night.astype(uint8)</c>. Pixels are visited x-major because <c>uniform(32, 127, (W, H))</c> fills its
    /// array in C order with x as the outer axis.
    /// </summary>
    private void AddNoise(NumpyRandomState random, double amount)
    {
        for (int x = 0; x < _localW; x++)
        {
            for (int y = 0; y < _localH; y++)
            {
                double noise = random.Uniform(32, 127);
                double mask = amount * _vignette[y * _localW + x];
                double keep = 1 - mask;
                int i = (y * _localW + x) * 3;
                _night[i] = PillowOps.ToByte(keep * _local[i] + mask * noise);
                _night[i + 1] = PillowOps.ToByte(keep * _local[i + 1] + mask * noise);
                _night[i + 2] = PillowOps.ToByte(keep * _local[i + 2] + mask * noise);
            }
        }
    }

    /// <summary>ItemView.__call__: on black, each held item's icon and then its amount, both alpha-blended.</summary>
    private void DrawItemView(ReadOnlySpan<int> inventory, Span<byte> rgb)
    {
        // The item view sits right below the local view; drawing through a canvas clipped to its rows keeps
        // numpy's slice bounds.
        int offset = ((_borderY + _localH) * _width + _borderX) * 3;
        var items = new Canvas(rgb[offset..], _gridX * _unitX, _itemRows * _unitY, _width * 3);
        int count = Math.Min(inventory.Length, _itemIcons.Length);
        for (int i = 0; i < count; i++)
        {
            int amount = inventory[i];
            if (amount < 1) continue;
            _itemIcons[i]?.DrawAlpha(items, _iconX[i], _iconY[i]);
            // str(amount) if amount in range(10) else 'unknown'
            _amountTextures[amount <= 9 ? amount - 1 : 9]?.DrawAlpha(items, _amountX[i], _amountY[i]);
        }
    }

    private int AssetIndex(string name) =>
        _assetIndex.TryGetValue(name, out int index)
            ? index
            : throw new KeyNotFoundException($"Crafter has no texture '{name}'.");

    // Crafter (Pillow) fails on a zero-sized resize; such an icon cannot be drawn, so it is left out.
    private Texture? ResizeOrNull(string name, int width, int height) =>
        width > 0 && height > 0 ? Texture.Resize(TextureAssets.Originals[AssetIndex(name)].Image, width, height) : null;

    /// <summary>
    /// <c>1 - exp(-0.5 * (xs ** 2 + ys ** 2) / stddev ** 2).T</c> with xs, ys from <c>np.meshgrid</c> of two
    /// <c>np.linspace(-1, 1, n)</c> and stddev 0.5, indexed [y * width + x]. numpy's SIMD exp can differ from
    /// Math.Exp in the last bit; that was checked to change no output byte.
    /// </summary>
    private static double[] BuildVignette(int width, int height)
    {
        var xs = PillowOps.LinspaceMinusOneToOne(width);
        var ys = PillowOps.LinspaceMinusOneToOne(height);
        var vignette = new double[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                vignette[y * width + x] = 1 - Math.Exp(-0.5 * (xs[x] * xs[x] + ys[y] * ys[y]) / (0.5 * 0.5));
        return vignette;
    }

    private static byte[] BuildSaturationTable(float factor)
    {
        var table = new byte[256 * 256];
        for (int grey = 0; grey < 256; grey++)
            for (int value = 0; value < 256; value++)
                table[grey << 8 | value] = PillowOps.Blend((byte)grey, (byte)value, factor);
        return table;
    }

    private static float[] BuildByteOver255()
    {
        var table = new float[256];
        for (int i = 0; i < 256; i++) table[i] = i / 255f;
        return table;
    }

    /// <summary>An RGB pixel region (row-major, <paramref name="Stride"/> bytes per row) to draw into.</summary>
    private readonly ref struct Canvas(Span<byte> pixels, int width, int height, int stride)
    {
        public Canvas(Span<byte> pixels, int width, int height) : this(pixels, width, height, width * 3) { }

        public Span<byte> Pixels { get; } = pixels;
        public int Width { get; } = width;
        public int Height { get; } = height;
        public int Stride { get; } = stride;
    }

    /// <summary>A texture resized for one use, with the float32 terms of <c>_draw_alpha</c> precomputed.</summary>
    private sealed class Texture
    {
        private readonly int _w, _h;
        private readonly bool _hasAlpha;
        private readonly byte[] _rgb;          // row-major RGB (alpha dropped, as _draw does)
        private readonly float[] _alphaTimesT; // (A / 255) * (T / 255) per channel, float32
        private readonly float[] _oneMinusA;   // 1 - A / 255 per pixel, float32

        private Texture(int w, int h, bool hasAlpha, byte[] rgb, float[] alphaTimesT, float[] oneMinusA)
        {
            _w = w;
            _h = h;
            _hasAlpha = hasAlpha;
            _rgb = rgb;
            _alphaTimesT = alphaTimesT;
            _oneMinusA = oneMinusA;
        }

        /// <summary>Textures.get: Pillow NEAREST resize of the original (the transposes cancel out).</summary>
        public static Texture Resize(RgbaImage original, int width, int height)
        {
            var image = PillowOps.ResizeNearest(original, width, height);
            int pixels = width * height;
            var rgb = new byte[pixels * 3];
            var alphaTimesT = new float[pixels * 3];
            var oneMinusA = new float[pixels];
            for (int p = 0; p < pixels; p++)
            {
                float alpha = ByteOver255[image.Pixels[p * 4 + 3]];
                oneMinusA[p] = 1 - alpha;
                for (int c = 0; c < 3; c++)
                {
                    byte value = image.Pixels[p * 4 + c];
                    rgb[p * 3 + c] = value;
                    alphaTimesT[p * 3 + c] = alpha * ByteOver255[value];
                }
            }

            return new Texture(width, height, image.HasAlpha, rgb, alphaTimesT, oneMinusA);
        }

        /// <summary>engine._draw: copies the RGB channels (numpy's slice assignment clips at the canvas edge).</summary>
        public void Draw(Canvas canvas, int x, int y)
        {
            int w = Math.Min(_w, canvas.Width - x), h = Math.Min(_h, canvas.Height - y);
            if (w <= 0 || h <= 0) return;
            for (int row = 0; row < h; row++)
                _rgb.AsSpan(row * _w * 3, w * 3).CopyTo(canvas.Pixels.Slice((y + row) * canvas.Stride + x * 3, w * 3));
        }

        /// <summary>
        /// engine._draw_alpha: for 4-channel textures <c>uint8(255 * (a * t + (1 - a) * c))</c> in float32;
        /// 3-channel textures are copied.
        /// </summary>
        public void DrawAlpha(Canvas canvas, int x, int y)
        {
            if (!_hasAlpha)
            {
                Draw(canvas, x, y);
                return;
            }

            int w = Math.Min(_w, canvas.Width - x), h = Math.Min(_h, canvas.Height - y);
            if (w <= 0 || h <= 0) return;
            var over255 = ByteOver255;
            for (int row = 0; row < h; row++)
            {
                var dst = canvas.Pixels.Slice((y + row) * canvas.Stride + x * 3, w * 3);
                int t = row * _w;
                for (int col = 0; col < w; col++, t++)
                {
                    float keep = _oneMinusA[t];
                    for (int c = 0; c < 3; c++)
                    {
                        float blended = _alphaTimesT[t * 3 + c] + keep * over255[dst[col * 3 + c]];
                        dst[col * 3 + c] = PillowOps.ToByte(255f * blended);
                    }
                }
            }
        }
    }
}
