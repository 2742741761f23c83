namespace RatificationLedger.Presentation.Timeline;

/// <summary>
/// The colours of every picture and page of the ledger (colour-blind safe, after Okabe and Ito), so a state has one
/// colour wherever it is shown: the timeline's marks and the web view's ratifier grid.
/// </summary>
internal static class Palette
{
    /// <summary>An approval (the national procedure complete); on the page: approved, not yet deposited.</summary>
    public const string Approval = "#0072b2";

    /// <summary>A deposit with the depositary; on the page: counted.</summary>
    public const string Deposit = "#009e73";

    /// <summary>The wait for an approval.</summary>
    public const string Wait = "#b3c5d7";

    /// <summary>A de facto hold.</summary>
    public const string Hold = "#e69f00";

    /// <summary>A formal veto.</summary>
    public const string Veto = "#d55e00";

    /// <summary>Pending text.</summary>
    public const string Pending = "#b45309";

    /// <summary>The as-of mark and the unconfirmed-date sign.</summary>
    public const string Mark = "#b5006b";

    /// <summary>Body text.</summary>
    public const string Ink = "#1f2937";

    /// <summary>Secondary text.</summary>
    public const string Muted = "#6b7280";

    /// <summary>Light rules and stripes.</summary>
    public const string Rule = "#e5e7eb";
}
