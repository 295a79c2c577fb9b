/*
 * src/core/nec.c - nrt/nec.h: the device interface the Neuron collectives
 * plugin calls back into. OpenNRT has no Neuron devices and no plugin, so
 * every answer is the one for a host without devices (documented in the
 * header); what refuses something logs one line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "nrt/nec.h"

NRT_API void nec_inc_semaphore(volatile uint32_t *sem_inc_addr, uint32_t val)
{
    LOG_ERROR("no device semaphore at %p to increment by %u: OpenNRT has no device", (void *)sem_inc_addr, val);
}

static size_t no_dynamic_sizes(const enc_host_mem_t *dyn_input, const char *func)
{
    NRT__LOG(NRT__LOG_ERROR, "%s: no dynamic send/recv table %p: OpenNRT has no collectives plugin", func,
             (const void *)dyn_input);
    return 0;
}

NRT_API size_t nec_get_dynamic_send_size_bytes(enc_host_mem_t *dyn_input, size_t data_type_sz, int dst_rank,
                                               int rank_n)
{
    (void)data_type_sz, (void)dst_rank, (void)rank_n;
    return no_dynamic_sizes(dyn_input, __func__);
}

NRT_API size_t nec_get_dynamic_send_offset_bytes(enc_host_mem_t *dyn_input, size_t data_type_sz, int dst_rank,
                                                 int rank_n)
{
    (void)data_type_sz, (void)dst_rank, (void)rank_n;
    return no_dynamic_sizes(dyn_input, __func__);
}

NRT_API size_t nec_get_dynamic_recv_offset_bytes(enc_host_mem_t *dyn_input, size_t data_type_sz, int src_rank,
                                                 int rank_n)
{
    (void)data_type_sz, (void)src_rank, (void)rank_n;
    return no_dynamic_sizes(dyn_input, __func__);
}

NRT_API void nec_set_recv_size_bytes(enc_host_mem_t *dyn_input, size_t recv_size_bytes, size_t data_type_sz,
                                     int src_rank, int rank_n)
{
    (void)recv_size_bytes, (void)data_type_sz, (void)src_rank, (void)rank_n;
    no_dynamic_sizes(dyn_input, __func__);
}

NRT_API int nec_get_device_count(int *available_devices_array, uint32_t array_size)
{
    (void)available_devices_array, (void)array_size;
    return 0;
}

NRT_API int nec_get_device_pci_bdf(int neuron_dev, uint32_t *domain, uint32_t *bus_num, uint8_t *pci_slot,
                                   uint8_t *dev_func)
{
    (void)domain, (void)bus_num, (void)pci_slot, (void)dev_func;
    LOG_ERROR("Neuron device %d does not exist: OpenNRT has no device", neuron_dev);
    return -ENODEV;
}

NRT_API NRT_STATUS nec_get_virtual_core_size(uint32_t *virtual_core_size)
{
    CHECK_NOT_NULL(virtual_core_size);
    *virtual_core_size = 1;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nec_get_version_info(nec_version_info_t *version_info)
{
    CHECK_NOT_NULL(version_info);
    unsigned long long a = 0, b = 0, c = 0;
    if (sscanf(NRTX_VERSION_STRING, "%llu.%llu.%llu", &a, &b, &c) != 3)
        a = b = c = 0;
    memset(version_info, 0, sizeof *version_info);
    version_info->major = a;
    version_info->minor = b;
    version_info->patch = c;
#ifdef NRT_GIT_HASH
    snprintf(version_info->git_hash, sizeof version_info->git_hash, "%.15s", NRT_GIT_HASH);
#endif
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nec_build_port_and_rid_map(int local_nec_dev_id, int *mla_indexes, int *host_device_ids,
                                              int count)
{
    (void)mla_indexes, (void)host_device_ids, (void)count;
    LOG_ERROR("no port or routing map for device %d: OpenNRT has no device", local_nec_dev_id);
    return NRT_FAILURE;
}

NRT_API bool nec_is_mla_available(int local_nec_dev_id, int mla_idx)
{
    (void)local_nec_dev_id, (void)mla_idx;
    return false;
}

NRT_API int nec_mla_idx_to_rid(int local_nec_dev_id, int mla_idx)
{
    LOG_ERROR("device %d has no accelerator %d: OpenNRT has no device", local_nec_dev_id, mla_idx);
    return -1;
}

NRT_API int nec_rid_to_mla_idx(int local_nec_dev_id, int rid)
{
    LOG_ERROR("device %d has no routing id %d: OpenNRT has no device", local_nec_dev_id, rid);
    return -1;
}

NRT_API int nec_get_peer_mla_idx(int local_nec_dev_id, int mla_idx, int port)
{
    LOG_ERROR("device %d accelerator %d has no port %d: OpenNRT has no device", local_nec_dev_id, mla_idx, port);
    return -1;
}

NRT_API int nec_get_p2p_pod_peer_node(uint32_t nec_dev_id, int node, uint32_t port_distance, int *peer_node)
{
    if (!peer_node) {
        LOG_ERROR("argument 'peer_node' is NULL");
        return -EINVAL;
    }
    *peer_node = -1;
    LOG_ERROR("device %u is in no pod (node %d, distance %u): OpenNRT has no device", nec_dev_id, node,
              port_distance);
    return -ENODEV;
}

NRT_API NRT_STATUS nec_pod_node_can_access_peer_node(nec_pod_type_t pod_type, uint32_t local_rid,
                                                     uint32_t local_node_id, uint32_t remote_rid,
                                                     uint32_t remote_node_id, int *can_access_peer)
{
    CHECK_NOT_NULL(can_access_peer);
    *can_access_peer = 0;
    LOG_ERROR("no pod of type %d joins %u/%u and %u/%u: OpenNRT has no device", (int)pod_type, local_rid,
              local_node_id, remote_rid, remote_node_id);
    return NRT_FAILURE;
}

NRT_API void nec_ndl_printk(char *str, uint32_t size, uint32_t action)
{
    (void)action;
    if (str)
        LOG_INFO("%.*s", (int)strnlen(str, size), str);
}
