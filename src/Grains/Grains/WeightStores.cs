using Azure.Storage.Blobs;

namespace Rollouts.Grains;

/// <summary>Weights as files under a folder: <c>{root}/{experiment}/policy-v{version}.bin</c> (one machine, or a shared volume).</summary>
public sealed class FileWeightStore(string root) : IWeightStore
{
    public string Root { get; } = Path.GetFullPath(root);

    public async Task<string> SaveAsync(string experimentId, int version, byte[] weights, CancellationToken cancellationToken = default)
    {
        string dir = Path.Combine(Root, experimentId);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"policy-v{version:D5}.bin");
        string tmp = path + ".tmp";
        await File.WriteAllBytesAsync(tmp, weights, cancellationToken);
        File.Move(tmp, path, overwrite: true);
        return path;
    }

    public Task<byte[]> LoadAsync(string location, CancellationToken cancellationToken = default) =>
        File.ReadAllBytesAsync(location, cancellationToken);
}

/// <summary>Weights as blobs in an Azure Storage container (Azurite locally): <c>{experiment}/policy-v{version}.bin</c>.</summary>
public sealed class BlobWeightStore(BlobServiceClient service, string container = "rollouts-weights") : IWeightStore
{
    private BlobContainerClient? _container;

    private async Task<BlobContainerClient> Container(CancellationToken ct)
    {
        if (_container is not null) return _container;
        var c = service.GetBlobContainerClient(container);
        await c.CreateIfNotExistsAsync(cancellationToken: ct);
        return _container = c;
    }

    public async Task<string> SaveAsync(string experimentId, int version, byte[] weights, CancellationToken cancellationToken = default)
    {
        var c = await Container(cancellationToken);
        string name = $"{experimentId}/policy-v{version:D5}.bin";
        await c.GetBlobClient(name).UploadAsync(new BinaryData(weights), overwrite: true, cancellationToken);
        return name;
    }

    public async Task<byte[]> LoadAsync(string location, CancellationToken cancellationToken = default)
    {
        var c = await Container(cancellationToken);
        var result = await c.GetBlobClient(location).DownloadContentAsync(cancellationToken);
        return result.Value.Content.ToArray();
    }
}
