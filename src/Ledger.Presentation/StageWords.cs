using RatificationLedger.Projections;

namespace RatificationLedger.Presentation;

/// <summary>A stage in the words the timeline and the web page show, from one place so that they never differ.</summary>
internal static class StageWords
{
    public static string Of(Stage stage) => stage switch
    {
        Stage.NotOpened => "not opened",
        Stage.Applied => "applied",
        Stage.Invited => "invited",
        Stage.Ratifying => "ratifying",
        Stage.Blocked => "blocked",
        Stage.ReadyToAccede => "ready to accede",
        Stage.Member => "member",
        Stage.Withdrawn => "withdrawn",
        _ => stage.ToString(),
    };
}
