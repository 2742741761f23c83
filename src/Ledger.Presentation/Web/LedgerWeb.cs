using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using RatificationLedger.Presentation.Timeline;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using static RatificationLedger.Presentation.Web.Html;

namespace RatificationLedger.Presentation.Web;

/// <summary>
/// The web view (<c>ledger serve</c>): a read-only ASP.NET Core app over <see cref="LedgerQueries"/>. Routes (docs/web.md):
/// <c>/</c>, <c>/processes/{org}/{candidate}</c>, and under <c>/api/processes</c> the CLI's <c>--json</c> documents and
/// the timeline. Only GET routes: nothing writes to the ledger.
/// </summary>
public static class LedgerWeb
{
    /// <summary>Where <c>ledger serve</c> listens unless told otherwise: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    private const string Json = "application/json; charset=utf-8";

    // The CLI's encoder: the message reads as written (the body is JSON, never embedded in a page).
    private static readonly JsonSerializerOptions ErrorJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Builds the app over <paramref name="queries"/>, listening on <paramref name="urls"/> (port 0 picks a free one).</summary>
    public static WebApplication Build(LedgerQueries queries, IEnumerable<string> urls, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(urls);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(LedgerWeb).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls([.. urls]);
        builder.Services.AddSingleton(queries);
        // The inline timeline is most of a page and of every slider step's answer (over 100 KB); it compresses tenfold.
        builder.Services.AddResponseCompression(o => o.MimeTypes = ["text/html", "application/json", "image/svg+xml", "text/css", "text/javascript"]);
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }
        var app = builder.Build();
        app.UseResponseCompression();
        app.MapLedgerViews();
        return app;
    }

    /// <summary>Maps the web view's routes onto <paramref name="app"/> (needs <see cref="LedgerQueries"/> in the container).</summary>
    public static WebApplication MapLedgerViews(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(Guard);
        app.MapGet("/", ListPageAsync);
        app.MapGet("/processes/{org}/{candidate}", ProcessPageAsync);
        app.MapGet("/api/processes", ListJsonAsync);
        app.MapGet("/api/processes/{org}/{candidate}/status", StatusAsync);
        app.MapGet("/api/processes/{org}/{candidate}/register", RegisterAsync);
        app.MapGet("/api/processes/{org}/{candidate}/audit", AuditAsync);
        app.MapGet("/api/processes/{org}/{candidate}/timeline.svg", TimelineAsync);
        app.MapGet("/api/processes/{org}/{candidate}/view", ViewAsync);
        app.MapGet("/assets/{name}", Asset);
        app.MapFallback((HttpContext context) => Error(context, 404, $"no such page: {context.Request.Method} {context.Request.Path}"));
        return app;
    }

    private static LedgerQueries Queries(HttpContext c) => c.RequestServices.GetRequiredService<LedgerQueries>();

    private static TimeProvider Clock(HttpContext c) => c.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;

    // Errors as one line of JSON with the status the request earned; never a stack trace. Headers that keep the ledger's
    // texts inert even if one slipped through as markup: scripts only from this server, nothing framed, no sniffing.
    private static async Task Guard(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (WebRequestException e) when (!context.Response.HasStarted)
        {
            await Error(context, e.Status, e.Message).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException e) when (!context.Response.HasStarted)
        {
            await Error(context, 503, e.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted && DatabaseFailure(e) is { } cause)
        {
            await Error(context, 503, $"the database is unavailable: {cause.Message}").ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger(typeof(LedgerWeb)).LogError(e, "{Path} failed", context.Request.Path.Value);
            await Error(context, 500, $"the server failed to answer ({e.GetType().Name}); the log has the details.").ConfigureAwait(false);
        }
    }

    // The connection failed (refused, timed out, authentication, the server went away): Marten wraps the driver's error.
    private static Exception? DatabaseFailure(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is DbException or SocketException or TimeoutException)
            {
                return x;
            }
        }
        return null;
    }

    private static Task Error(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = Json;
        // One line: a reader can grep it, a script can parse it.
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { error = message.ReplaceLineEndings(" ") }, ErrorJson) + "\n");
    }

    private static Task<ProcessRequest> ReadAsync(HttpContext c, string org, string candidate, bool asOf = true) =>
        ProcessRequest.ReadAsync(Queries(c), Clock(c), org, candidate, asOf ? c.Request.Query["asOf"] : default(string?), c.Request.Query["knownAt"], c.RequestAborted);

    private static Task WriteJson(HttpContext c, string json)
    {
        c.Response.ContentType = Json;
        return c.Response.WriteAsync(json + "\n");
    }

    private static async Task ListJsonAsync(HttpContext c)
    {
        var all = await Queries(c).ListAsync(ct: c.RequestAborted).ConfigureAwait(false);
        await WriteJson(c, CliJson.Write(CliJson.ListDocument(null, all, null, null))).ConfigureAwait(false);
    }

    private static async Task StatusAsync(HttpContext c, string org, string candidate)
    {
        var r = await ReadAsync(c, org, candidate).ConfigureAwait(false);
        var status = await Queries(c).StatusAsync(r.Process, r.AsOf, r.KnownAt, c.RequestAborted).ConfigureAwait(false)
            ?? throw new WebRequestException(404, $"no process '{r.Process}' in the ledger.");
        await WriteJson(c, CliJson.Write(CliJson.Status(status))).ConfigureAwait(false);
    }

    private static async Task RegisterAsync(HttpContext c, string org, string candidate)
    {
        var r = await ReadAsync(c, org, candidate).ConfigureAwait(false);
        var register = await Queries(c).RegisterAsync(r.Process, r.AsOf, r.KnownAt, c.RequestAborted).ConfigureAwait(false)
            ?? throw new WebRequestException(404, $"no process '{r.Process}' in the ledger.");
        await WriteJson(c, CliJson.Write(CliJson.RegisterDocument(r.Process, register, r.AsOf, r.KnownAt))).ConfigureAwait(false);
    }

    private static async Task AuditAsync(HttpContext c, string org, string candidate)
    {
        if (c.Request.Query.ContainsKey("asOf"))
        {
            throw new WebRequestException(400, "the audit trail is every entry as recorded: it takes knownAt, not asOf.");
        }
        var r = await ReadAsync(c, org, candidate, asOf: false).ConfigureAwait(false);
        var audit = await Queries(c).AuditAsync(r.Process, r.KnownAt, c.RequestAborted).ConfigureAwait(false)
            ?? throw new WebRequestException(404, $"no process '{r.Process}' in the ledger.");
        await WriteJson(c, CliJson.Write(CliJson.AuditDocument(r.Process, audit.Entries, null, r.KnownAt))).ConfigureAwait(false);
    }

    // The CLI's picture (`ledger timeline --svg`, as of the date), of what was known at the instant.
    private static async Task TimelineAsync(HttpContext c, string org, string candidate)
    {
        var r = await ReadAsync(c, org, candidate).ConfigureAwait(false);
        var (status, register, audit) = ProcessViews.Build(r.Process, r.Known, r.AsOf, r.KnownAt);
        c.Response.ContentType = "image/svg+xml; charset=utf-8";
        c.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
        await c.Response.WriteAsync(TimelineSvg.Render(status, register, audit.Entries)).ConfigureAwait(false);
    }

    private static async Task ViewAsync(HttpContext c, string org, string candidate)
    {
        var r = await ReadAsync(c, org, candidate).ConfigureAwait(false);
        await WriteJson(c, CliJson.Write(new ProcessPage(r).View())).ConfigureAwait(false);
    }

    private static async Task ProcessPageAsync(HttpContext c, string org, string candidate)
    {
        var clock = Stopwatch.StartNew();
        var r = await ReadAsync(c, org, candidate).ConfigureAwait(false);
        var read = clock.Elapsed.TotalMilliseconds;
        var page = new ProcessPage(r).Document();
        // How long the server took (reading the entries, rendering the page), for the browser's network panel.
        c.Response.Headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture,
            $"read;dur={read:0.0}, render;dur={clock.Elapsed.TotalMilliseconds - read:0.0}");
        c.Response.ContentType = "text/html; charset=utf-8";
        await c.Response.WriteAsync(page).ConfigureAwait(false);
    }

    private static async Task ListPageAsync(HttpContext c)
    {
        var all = await Queries(c).ListAsync(ct: c.RequestAborted).ConfigureAwait(false);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>Ratification Ledger</title>\n<link rel=\"stylesheet\" href=\"/assets/ledger.css\">\n</head>\n<body>\n")
            .Append("<header class=\"site\"><a href=\"/\">Ratification Ledger</a></header>\n<main id=\"list\">\n<h1>Accession processes</h1>\n");
        if (all.Count == 0)
        {
            html.Append("<p class=\"muted\">The ledger is empty: import a history file first (<code>ledger import FILE</code>).</p>\n");
        }
        else
        {
            html.Append("<table>\n<thead><tr><th>Process</th><th>Candidate</th><th>Stage</th><th>Opened</th><th>Counted</th><th>Acceded</th></tr></thead>\n<tbody>\n");
            foreach (var s in all)
            {
                html.Append("<tr data-process=\"").Append(Text(s.Id)).Append("\"><td><a href=\"/processes/").Append(Text(s.Id)).Append("\">").Append(Text(s.Id)).Append("</a></td><td>")
                    .Append(Text(s.Candidate)).Append("</td><td>").Append(Text(s.Stage.ToString())).Append("</td><td>").Append(Date(s.AppliedOn ?? s.InvitedOn))
                    .Append("</td><td>").Append(Count(s.Counted.Count)).Append(" of ").Append(Count(s.RequiredRatifiers.Count)).Append("</td><td>")
                    .Append(Date(s.AccededOn)).Append("</td></tr>\n");
            }
            html.Append("</tbody>\n</table>\n");
        }
        html.Append("</main>\n</body>\n</html>\n");
        c.Response.ContentType = "text/html; charset=utf-8";
        await c.Response.WriteAsync(html.ToString()).ConfigureAwait(false);
    }

    private static IResult Asset(string name) => name switch
    {
        "ledger.css" => Results.Text(PageStyle.Css, "text/css; charset=utf-8"),
        "ledger.js" => Results.Text(Script.Value, "text/javascript; charset=utf-8"),
        _ => throw new WebRequestException(404, $"no such asset: {name}"),
    };

    private static readonly Lazy<string> Script = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("RatificationLedger.Presentation.Web.Assets.ledger.js")
            ?? throw new InvalidOperationException("The page script is missing from the assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    });
}
