using System.Text;
using RoomDevice.Management.Fleet;
using Xunit;

namespace RoomDevice.Management.Tests;

public sealed class FleetViewTests
{
    private static FleetMessage M(string topic, string json) => new(topic, Encoding.UTF8.GetBytes(json), true);

    [Fact]
    public void A_late_will_of_an_older_session_does_not_hide_a_newer_online()
    {
        var view = new FleetView();
        view.Apply(M(Topics.Status("rd-a"), "{\"v\":1,\"state\":\"online\",\"session\":7}"));
        view.Apply(M(Topics.Status("rd-a"), "{\"v\":1,\"state\":\"offline\",\"session\":6}"));
        Assert.True(view.Find("rd-a")!.Online);
        view.Apply(M(Topics.Status("rd-a"), "{\"v\":1,\"state\":\"offline\",\"session\":7}"));
        Assert.False(view.Find("rd-a")!.Online);
    }

    [Fact]
    public void Device_topics_fold_into_one_view_and_garbage_is_ignored()
    {
        var view = new FleetView();
        Assert.True(view.Apply(M(Topics.Birth("rd-b"), "{\"room\":\"Oslo\",\"site\":\"HQ\"}")));
        Assert.True(view.Apply(M(Topics.ConfigReported("rd-b"), "{\"appliedVersion\":4,\"result\":\"applied\"}")));
        Assert.True(view.Apply(M(Topics.UnclaimedAnnouncement("rd-c"), "{\"claimCodeHash\":\"00\"}")));
        Assert.False(view.Apply(M(Topics.Status("rd-b"), "not json")));
        Assert.False(view.Apply(M("elsewhere/x", "{}")));
        Assert.False(view.Apply(M(Topics.Device("rd-b") + "/mystery", "{}")));
        DeviceView b = view.Find("rd-b")!;
        Assert.Equal("Oslo", b.Room);
        Assert.Equal("HQ", b.Site);
        Assert.Equal(4, b.AppliedVersion);
        Assert.NotNull(view.Find("rd-c")!.Unclaimed);
        Assert.Equal(["rd-b", "rd-c"], view.Devices.Select(d => d.Id));
    }

    [Theory]
    [InlineData("roomdevice/v1/rd-a/reply", true)]
    [InlineData("roomdevice/v1/rd-a/reply/roomctl-1", true)]
    [InlineData("roomdevice/v1/rd-a/replyx", false)]
    [InlineData("roomdevice/v1/rd-b/reply", false)]
    [InlineData("roomdevice/v1/rd-a/reply/+", false)]
    [InlineData("roomdevice/v1/rd-a/reply/#", false)]
    [InlineData("roomdevice/v1/rd-a/status", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Only_reply_topics_inside_the_device_subtree_are_used(string? topic, bool allowed) =>
        Assert.Equal(allowed, Topics.IsAllowedResponseTopic("rd-a", topic));
}
