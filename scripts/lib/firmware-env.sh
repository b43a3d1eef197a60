# Sourced by the firmware scripts: the build-time settings CI builds the
# board images with (placeholders: nothing is flashed from CI), and the
# host's target triple for the host-side firmware crates.
ci_firmware_env=(
    WIFI_SSID=ci-network
    WIFI_PASSWORD=ci-password
    CLUSTER_KEY=0000000000000000000000000000000000000000000000000000000000000000
    MINER_ID=
    COORDINATORS=
)
host_triple=$(rustc -vV | sed -n 's/^host: //p')
