/*
 * nrt/nec.h - the Neuron device interface the collectives plugin
 * (libnccom) calls back into: device and routing queries, semaphores,
 * sizes of dynamic (data-dependent) send/recv.
 *
 * Unlike the Neuron runtime's own copy (which defines nec_pod_type_t three
 * times and does not compile), this header declares the functions and the
 * types they use, in C and C++; the runtime's internal collective
 * structures (channels, rings, meshes) are not part of it.
 *
 * OpenNRT has no Neuron devices and no libnccom (its collectives are its
 * own, src/coll/): the functions answer as for a host without devices, each
 * with one log line where it refuses something:
 *   nec_get_device_count               0 (no device)
 *   nec_get_device_pci_bdf             -ENODEV
 *   nec_get_virtual_core_size          NRT_SUCCESS, 1 (one core per logical core)
 *   nec_get_version_info               NRT_SUCCESS, OpenNRT's version
 *   nec_build_port_and_rid_map         NRT_FAILURE
 *   nec_is_mla_available               false
 *   nec_mla_idx_to_rid, nec_rid_to_mla_idx, nec_get_peer_mla_idx  -1
 *   nec_get_p2p_pod_peer_node          -ENODEV (*peer_node = -1)
 *   nec_pod_node_can_access_peer_node  NRT_FAILURE (*can_access_peer = 0)
 *   nec_inc_semaphore                  nothing (no device semaphore)
 *   nec_get_dynamic_*_bytes            0;  nec_set_recv_size_bytes: nothing
 *   nec_ndl_printk                     writes |str| to the log (INFO)
 * NULL outputs: NRT_INVALID / -EINVAL.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt/nrt_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nec_pod_type {
    NEC_POD_TYPE_NONE,
    NEC_POD_TYPE_P2P,
    NEC_POD_TYPE_SWITCH,
    NEC_POD_TYPE_INVALID
} nec_pod_type_t;

typedef struct enc_comm *nec_comm_t;
typedef struct enc_channel *nec_channel_t;
typedef uint64_t dma_addr_t;

/* Host memory shared with the device. */
typedef struct enc_host_mem {
    void *mem_handle;
    void *va;
    dma_addr_t pa;
    size_t size;
} enc_host_mem_t;

typedef struct nec_version_info {
    uint64_t major;
    uint64_t minor;
    uint64_t patch;
    uint64_t maintenance;
    char git_hash[16];
    uint64_t compatibility_version;
#ifndef __cplusplus
    uint8_t future_fields[]; /* later versions append here */
#endif
} nec_version_info_t;

void nec_inc_semaphore(volatile uint32_t *sem_inc_addr, uint32_t val);
size_t nec_get_dynamic_send_size_bytes(enc_host_mem_t *dyn_input, size_t data_type_sz, int dst_rank, int rank_n);
size_t nec_get_dynamic_send_offset_bytes(enc_host_mem_t *dyn_input, size_t data_type_sz, int dst_rank, int rank_n);
size_t nec_get_dynamic_recv_offset_bytes(enc_host_mem_t *dyn_input, size_t data_type_sz, int src_rank, int rank_n);
void nec_set_recv_size_bytes(enc_host_mem_t *dyn_input, size_t recv_size_bytes, size_t data_type_sz, int src_rank,
                             int rank_n);
int nec_get_device_count(int *available_devices_array, uint32_t array_size);
int nec_get_device_pci_bdf(int neuron_dev, uint32_t *domain, uint32_t *bus_num, uint8_t *pci_slot, uint8_t *dev_func);
NRT_STATUS nec_get_virtual_core_size(uint32_t *virtual_core_size);
NRT_STATUS nec_get_version_info(nec_version_info_t *version_info);
NRT_STATUS nec_build_port_and_rid_map(int local_nec_dev_id, int *mla_indexes, int *host_device_ids, int count);
bool nec_is_mla_available(int local_nec_dev_id, int mla_idx);
int nec_mla_idx_to_rid(int local_nec_dev_id, int mla_idx);
int nec_rid_to_mla_idx(int local_nec_dev_id, int rid);
int nec_get_peer_mla_idx(int local_nec_dev_id, int mla_idx, int port);
int nec_get_p2p_pod_peer_node(uint32_t nec_dev_id, int node, uint32_t port_distance, int *peer_node);
NRT_STATUS nec_pod_node_can_access_peer_node(nec_pod_type_t pod_type, uint32_t local_rid, uint32_t local_node_id,
                                             uint32_t remote_rid, uint32_t remote_node_id, int *can_access_peer);
void nec_ndl_printk(char *str, uint32_t size, uint32_t action);

#ifdef __cplusplus
}
#endif
