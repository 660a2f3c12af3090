#ifndef QKDSPEC_CPCAP_SHIM_H
#define QKDSPEC_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
