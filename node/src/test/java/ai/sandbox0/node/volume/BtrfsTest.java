package ai.sandbox0.node.volume;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The ioctl numbers, checked against what {@code <linux/btrfs.h>} gives a C program on this architecture. */
class BtrfsTest {

    @Test
    void ioctlNumbersAreTheKernelHeadersOnes() {
        assertThat(Btrfs.IOC_SYNC).isEqualTo(0x9408L);
        assertThat(Btrfs.IOC_RESIZE).isEqualTo(0x50009403L);
        assertThat(Btrfs.IOC_SUBVOL_CREATE).isEqualTo(0x5000940eL);
        assertThat(Btrfs.IOC_SNAP_DESTROY).isEqualTo(0x5000940fL);
        assertThat(Btrfs.IOC_SNAP_CREATE_V2).isEqualTo(0x50009417L);
        assertThat(Btrfs.IOC_QUOTA_CTL).isEqualTo(0xc0109428L);
        assertThat(Btrfs.IOC_QGROUP_LIMIT).isEqualTo(0x8030942bL);
    }

    @Test
    void mountInfoLinesGiveTheDirectoryAMountShows() {
        MountInfo m = MountInfo.parse("612 28 0:61 /vols/a\\040b /run/s0/x rw,relatime shared:1 - btrfs /dev/loop3 rw").orElseThrow();
        assertThat(m.device()).isEqualTo("0:61");
        assertThat(m.root()).isEqualTo("/vols/a b");
        assertThat(m.type()).isEqualTo("btrfs");
        assertThat(m.source()).isEqualTo("/dev/loop3");
        assertThat(m.shows("/vols/a b")).isTrue();
        assertThat(MountInfo.parse("613 28 0:61 /vols/ab/sub /y rw - btrfs /dev/loop3 rw").orElseThrow().shows("/vols/ab")).isTrue();
        assertThat(MountInfo.parse("614 28 0:61 /vols/ab.restoring /z rw - btrfs /dev/loop3 rw").orElseThrow().shows("/vols/ab"))
                .isFalse();
    }

    @Test
    void kernelReleasesCompareByNumber() {
        assertThat(VolumePool.atLeast("6.18.44-fc-v1272", new int[] {6, 7})).isTrue();
        assertThat(VolumePool.atLeast("6.7.0", new int[] {6, 7})).isTrue();
        assertThat(VolumePool.atLeast("6.6.30-amd64", new int[] {6, 7})).isFalse();
        assertThat(VolumePool.atLeast("5.19", new int[] {6, 7})).isFalse();
    }
}
